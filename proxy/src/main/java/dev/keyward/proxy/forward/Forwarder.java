package dev.keyward.proxy.forward;

import dev.keyward.policies.PolicySet;
import dev.keyward.policies.Target;
import dev.keyward.proxy.error.ErrorCode;
import dev.keyward.proxy.error.ProxyException;
import dev.keyward.proxy.stage.Exchange;
import dev.keyward.proxy.stage.Inject.Outbound;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.streams.Pipe;
import io.vertx.core.streams.ReadStream;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Optional;

/**
 * Stage 6: sends the request to the checked upstream address and streams both bodies, chunk by
 * chunk. TLS upstreams get HTTP/2 when they offer it (ALPN), else HTTP/1.1; connections are pooled.
 * Redirects are never followed: a 3xx goes back to the agent as it is. Response headers and body
 * pass through the {@link Redactor}. A failure before the response starts becomes a JSON error; a
 * failure after it resets the agent's stream rather than ending it, so a truncated body can never
 * look complete.
 */
public final class Forwarder {

  private final Vertx vertx;
  private final HttpClient tlsClient;
  private final HttpClient plainClient;
  private final UpstreamAddresses addresses;
  private final UpstreamTimeouts timeouts;

  public Forwarder(Vertx vertx, HttpClient tlsClient, HttpClient plainClient,
      UpstreamAddresses addresses, UpstreamTimeouts timeouts) {
    this.vertx = vertx;
    this.tlsClient = tlsClient;
    this.plainClient = plainClient;
    this.addresses = addresses;
    this.timeouts = timeouts;
  }

  /**
   * Completes when the response has been fully sent to the agent; fails with a {@code
   * ProxyException} when nothing has been sent yet, or with the stream failure when the agent's
   * response had already started (and has been reset).
   */
  public Future<Void> forward(HttpServerRequest agent, Exchange exchange, Outbound outbound,
      PolicySet policy) {
    Target target = outbound.target();
    HttpClient client = target.isHttps() ? tlsClient : plainClient;
    exchange.upstreamSending(System.nanoTime());
    return addresses.resolve(target, exchange.credentialId(), policy)
        .compose(address -> client.request(options(target, outbound, agent.method(), address)))
        .compose(request -> send(agent, request, exchange.maxRequestBody()))
        .recover(failure -> Future.failedFuture(UpstreamFailures.map(failure)))
        .compose(response -> relay(agent, exchange, response, outbound.redactor()));
  }

  private RequestOptions options(Target target, Outbound outbound, HttpMethod method,
      InetSocketAddress address) {
    String host = target.host().startsWith("[")
        ? target.host().substring(1, target.host().length() - 1) : target.host();
    return new RequestOptions()
        .setMethod(method)
        .setServer(SocketAddress.inetSocketAddress(address))
        .setHost(host)
        .setPort(target.port())
        .setSsl(target.isHttps())
        .setURI(target.pathAndQuery())
        .setHeaders(outbound.headers())
        .setFollowRedirects(false)
        .setConnectTimeout(timeouts.connect().toMillis())
        .setIdleTimeout(timeouts.idle().toMillis());
  }

  /** Streams the agent's body up; completes with the response headers or the first failure. */
  private Future<HttpClientResponse> send(HttpServerRequest agent, HttpClientRequest request,
      long maxBody) {
    String declared = agent.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (declared == null && agent.getHeader(HttpHeaders.TRANSFER_ENCODING) != null) {
      request.setChunked(true);
    }
    Promise<HttpClientResponse> result = Promise.promise();
    ProxyException tooLarge = ErrorCode.PAYLOAD_TOO_LARGE.exception(
        "the request body may be at most " + maxBody + " bytes on this route");
    ReadStream<Buffer> body = MappedStream.limited(agent, maxBody, tooLarge);
    Pipe<Buffer> upload = body.pipe();
    upload.endOnFailure(false);
    upload.to(request).onComplete(sent -> {
      if (sent.failed()) {
        // Settle the outcome before resetting: the reset also fails the response future.
        result.tryFail(sent.cause() instanceof ProxyException ? sent.cause()
            : ErrorCode.UPSTREAM_RESET.exception("the request body could not be sent"));
        request.reset();
        return;
      }
      long timer = vertx.setTimer(timeouts.firstByte().toMillis(), id -> {
        if (result.tryFail(ErrorCode.UPSTREAM_TIMEOUT.exception(
            "the upstream sent no response within " + timeouts.firstByte().toSeconds() + "s"))) {
          request.reset();
        }
      });
      result.future().onComplete(done -> vertx.cancelTimer(timer));
    });
    request.response().onComplete(response -> {
      if (response.succeeded()) {
        result.tryComplete(response.result());
      } else {
        result.tryFail(response.cause());
      }
    });
    return result.future();
  }

  private Future<Void> relay(HttpServerRequest agent, Exchange exchange,
      HttpClientResponse upstream, Redactor redactor) {
    exchange.upstreamAnswered(upstream.statusCode(), System.nanoTime());
    Optional<ContentDecoding> decoding;
    try {
      decoding = ContentDecoding.forHeaders(upstream.headers().getAll(HttpHeaders.CONTENT_ENCODING));
    } catch (ProxyException e) {
      upstream.request().reset(); // nothing of this body may reach the agent unscanned
      return Future.failedFuture(e);
    }
    HttpServerResponse response = agent.response();
    response.setStatusCode(upstream.statusCode());
    if (upstream.statusMessage() != null) {
      response.setStatusMessage(upstream.statusMessage());
    }
    HeaderHygiene.toAgent(upstream.headers(), response.headers());
    for (Map.Entry<String, String> header : response.headers()) {
      String redacted = redactor.redact(header.getValue());
      if (redacted != header.getValue()) {
        header.setValue(redacted);
      }
    }
    response.putHeader("X-Request-Id", exchange.requestId());
    if (decoding.isPresent()) {
      response.headers().remove(HttpHeaders.CONTENT_ENCODING);
      response.headers().remove(HttpHeaders.CONTENT_LENGTH);
    }
    if (redactor != Redactor.NONE) {
      // Redaction can change the body's length: send it chunked.
      response.headers().remove(HttpHeaders.CONTENT_LENGTH);
    }
    if (response.headers().get(HttpHeaders.CONTENT_LENGTH) == null) {
      response.setChunked(true);
    }
    Runnable resetBoth = () -> {
      response.reset();
      upstream.request().reset();
    };
    IdleWatch idle = new IdleWatch(vertx, timeouts.idle(), resetBoth);
    Pipe<Buffer> download =
        MappedStream.toAgent(upstream, decoding, redactor, idle::touch).pipe();
    download.endOnFailure(false);
    return download.to(response)
        .onFailure(failure -> resetBoth.run())
        .andThen(done -> {
          idle.stop();
          decoding.ifPresent(ContentDecoding::close);
          exchange.addBytesIn(agent.bytesRead());
          exchange.addBytesOut(response.bytesWritten());
        });
  }
}
