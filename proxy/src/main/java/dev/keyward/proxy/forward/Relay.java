package dev.keyward.proxy.forward;

import dev.keyward.llm.UsageMeter;
import dev.keyward.proxy.call.Attempt;
import dev.keyward.proxy.call.BodyTap;
import dev.keyward.proxy.call.Call;
import dev.keyward.proxy.error.ErrorCode;
import dev.keyward.proxy.error.ProxyException;
import dev.keyward.proxy.http.Bodies;
import dev.keyward.proxy.http.Deadlines;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.streams.Pipe;
import io.vertx.core.streams.WriteStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Writes the upstream's response to the agent: status, headers (hop-by-hop removed, the secret
 * redacted, Keyward's own added), then the body through the taps: decoding of any content coding
 * first, then the redaction, then the attempt's own taps (usage metering). A failure after the
 * response started resets the agent's stream rather than ending it, so a truncated body never
 * looks complete (an attempt with a {@linkplain Attempt#closingEvent() closing event}, an event
 * stream of a route with targets, ends with that error event instead); a tap that stops the body early ends it with its own last bytes (an error event
 * in the stream's format) and lets the upstream go.
 */
public final class Relay {

  /** Keyward's own time on the request: before it went upstream, and on the response head. */
  public static final String OVERHEAD_HEADER = "X-Keyward-Overhead-Ms";

  private final Deadlines deadlines;
  private final Duration idleTimeout;

  public Relay(Vertx vertx, Duration idleTimeout) {
    this.deadlines = new Deadlines(vertx);
    this.idleTimeout = idleTimeout;
  }

  /**
   * Completes when the whole body reached the agent; fails with a {@code ProxyException} when
   * nothing has been sent yet (a coding Keyward cannot decode), or with the stream's failure once
   * the response had started (and has been reset).
   */
  public Future<Void> relay(Call call, Attempt attempt, HttpClientResponse upstream) {
    long headStart = System.nanoTime();
    Optional<ContentDecoding> decoding;
    try {
      decoding = ContentDecoding.forHeaders(upstream.headers().getAll(HttpHeaders.CONTENT_ENCODING));
    } catch (ProxyException e) {
      upstream.request().reset(); // nothing of this body may reach the agent unscanned
      return Future.failedFuture(e);
    }
    HttpServerResponse response = call.request().response();
    response.setStatusCode(upstream.statusCode());
    if (upstream.statusMessage() != null) {
      response.setStatusMessage(upstream.statusMessage());
    }
    HeaderHygiene.toAgent(upstream.headers(), response.headers());
    for (Map.Entry<String, String> header : response.headers()) {
      String redacted = attempt.redaction().header(header.getValue());
      if (redacted != header.getValue()) {
        header.setValue(redacted);
      }
    }
    response.putHeader("X-Request-Id", call.requestId());
    attempt.responseHeaders().forEach(response::putHeader);
    Buffer closing = attempt.closingEvent();
    // The body is decoded, redacted or rewritten: its length is no longer the upstream's. A small
    // one is gathered and sent whole with its own length; any other streams, chunked.
    WholeBody whole = decoding.isEmpty() && closing == null && isSmall(call, upstream)
        ? new WholeBody() : null;
    response.headers().remove(HttpHeaders.CONTENT_LENGTH);
    response.headers().remove(HttpHeaders.CONTENT_ENCODING);
    response.setChunked(whole == null);
    List<BodyTap> taps = new ArrayList<>(attempt.responseTaps().size() + 2);
    decoding.ifPresent(taps::add);
    taps.add(attempt.redaction().body());
    taps.addAll(attempt.responseTaps());
    call.headProcessed(System.nanoTime() - headStart);
    response.putHeader(OVERHEAD_HEADER, milliseconds(call.overheadNanos()));
    Runnable resetBoth = () -> {
      response.reset();
      upstream.request().reset();
    };
    // With a closing event, a quiet upstream is let go and the stream ends with the event below.
    IdleWatch idle = new IdleWatch(deadlines, idleTimeout,
        closing == null ? resetBoth : () -> upstream.request().reset());
    Pipe<Buffer> download = new TappedStream(upstream, taps, idle::touch, stop -> {
      call.stopped(stop.why());
      upstream.request().reset(); // the rest of the answer is not wanted
    }).pipe();
    download.endOnFailure(false);
    Future<Void> sent = whole == null ? download.to(response)
        : download.to(whole).compose(done -> response.end(whole.body));
    return sent
        .onFailure(failure -> {
          if (response.closed()) {
            resetBoth.run(); // the agent went away
            return;
          }
          attempt.brokeMidStream();
          if (closing != null && !response.ended()) {
            // Ends between two events with an error the agent's SDK raises: never a clean end.
            response.end(closing);
            upstream.request().reset();
          } else {
            resetBoth.run();
          }
        })
        .andThen(done -> {
          idle.stop();
          decoding.ifPresent(ContentDecoding::close);
          call.bytes(call.request().bytesRead(), response.bytesWritten());
        });
  }

  /**
   * A body the upstream declared at most {@link Bodies#WHOLE_MAX} bytes long, on a response that
   * has one: sent to the agent in one write with its length, rather than as a chunked stream and
   * its closing chunk (two writes, and twice the work for the agent's side). Never an event
   * stream, even with a length: its events reach the agent as they come.
   */
  private static boolean isSmall(Call call, HttpClientResponse upstream) {
    int status = upstream.statusCode();
    return call.request().method() != HttpMethod.HEAD && status >= 200 && status != 204
        && status != 304 && !UsageMeter.isEventStream(upstream.getHeader(HttpHeaders.CONTENT_TYPE))
        && Bodies.declaresWhole(upstream.getHeader(HttpHeaders.CONTENT_LENGTH), Bodies.WHOLE_MAX);
  }

  /**
   * Gathers the taps' output of a small body. Taps can lengthen a body (a redaction marker longer
   * than the secret, an error event): past four times the declared maximum it fails, and the
   * exchange is reset as any failed body is.
   */
  private static final class WholeBody implements WriteStream<Buffer> {

    final Buffer body = Buffer.buffer();

    @Override
    public Future<Void> write(Buffer data) {
      if (body.length() + data.length() > 4 * Bodies.WHOLE_MAX) {
        return Future.failedFuture(ErrorCode.UPSTREAM_RESET.exception(
            "the response body grew past " + 4 * Bodies.WHOLE_MAX + " bytes"));
      }
      body.appendBuffer(data);
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> end() {
      return Future.succeededFuture();
    }

    @Override
    public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
      return this;
    }

    @Override
    public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
      return this;
    }

    @Override
    public boolean writeQueueFull() {
      return false;
    }

    @Override
    public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
      return this;
    }
  }

  /** Milliseconds with microsecond precision, e.g. {@code 0.412}. */
  static String milliseconds(long nanos) {
    long micros = Math.max(0, nanos) / 1_000;
    long fraction = micros % 1_000;
    return micros / 1_000 + (fraction < 10 ? ".00" : fraction < 100 ? ".0" : ".") + fraction;
  }
}
