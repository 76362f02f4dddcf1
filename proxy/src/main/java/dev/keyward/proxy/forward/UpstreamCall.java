package dev.keyward.proxy.forward;

import dev.keyward.policies.Target;
import dev.keyward.proxy.call.Attempt;
import dev.keyward.proxy.call.BodyTap;
import dev.keyward.proxy.call.Call;
import dev.keyward.proxy.config.Durations;
import dev.keyward.proxy.error.ErrorCode;
import dev.keyward.proxy.error.ProxyException;
import dev.keyward.proxy.http.Bodies;
import dev.keyward.proxy.http.Deadlines;
import dev.keyward.proxy.http.Deadlines.Deadline;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.streams.Pipe;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * Sends one attempt upstream and returns the upstream's response head, without writing anything
 * to the agent: the caller decides what to do with it (relay it, or try another target). The
 * connection goes to the address the SSRF guard checked. TLS upstreams get HTTP/2 when they offer
 * it (ALPN), else HTTP/1.1; connections are pooled; redirects are never followed. The body is
 * the one the attempt carries, or the agent's: read whole and sent with the head when it declares
 * at most {@link Bodies#WHOLE_MAX} bytes, else streamed and cut at the route's limit. The first
 * byte is awaited for the attempt's own timeout (a route's target) or the configured one.
 */
public final class UpstreamCall {

  private final Deadlines deadlines;
  private final LoopClients tlsClients;
  private final LoopClients plainClients;
  private final UpstreamAddresses addresses;
  private final UpstreamTimeouts timeouts;

  /**
   * @param tlsClient makes a client for HTTPS upstreams, {@code plainClient} one for plain HTTP:
   *     each is called once per event loop (a loop's calls go out on its own connections)
   */
  public UpstreamCall(Vertx vertx, Supplier<HttpClient> tlsClient,
      Supplier<HttpClient> plainClient, UpstreamAddresses addresses, UpstreamTimeouts timeouts) {
    this.deadlines = new Deadlines(vertx);
    this.tlsClients = new LoopClients(vertx, tlsClient);
    this.plainClients = new LoopClients(vertx, plainClient);
    this.addresses = addresses;
    this.timeouts = timeouts;
  }

  public UpstreamTimeouts timeouts() {
    return timeouts;
  }

  /**
   * The upstream's response head; fails with a {@code ProxyException} (a refusal of the SSRF
   * guard, or how the upstream failed) when there is none.
   */
  public Future<HttpClientResponse> send(Call call, Attempt attempt) {
    Target target = attempt.target();
    HttpClient client = (target.isHttps() ? tlsClients : plainClients).current();
    long now = System.nanoTime();
    call.upstreamSending(now);
    attempt.sending(now);
    // Sent without a key by the forward proxy: the SSRF guard of the host's forward plan.
    boolean keyless = call.forward() != null && attempt.credentialId().isEmpty();
    Future<InetSocketAddress> checkedAddress = keyless
        ? addresses.resolve(target.host(), target.port(),
            checked -> call.policy().decideForwardAddress(call.forward(), checked))
        : addresses.resolve(target, attempt.credentialId(), call.policy());
    return checkedAddress
        .compose(address -> client.request(options(target, attempt, call, address)))
        .compose(request -> {
          attempt.sendingOnConnection();
          return send(call, attempt, request);
        })
        .recover(failure -> Future.failedFuture(UpstreamFailures.map(failure)))
        .onSuccess(head -> attempt.answered(head.statusCode(), System.nanoTime()));
  }

  private RequestOptions options(Target target, Attempt attempt, Call call,
      InetSocketAddress address) {
    String host = target.host().startsWith("[")
        ? target.host().substring(1, target.host().length() - 1) : target.host();
    return new RequestOptions()
        .setMethod(call.request().method())
        .setServer(SocketAddress.inetSocketAddress(address))
        .setHost(host)
        .setPort(target.port())
        .setSsl(target.isHttps())
        .setURI(target.pathAndQuery())
        .setHeaders(attempt.headers())
        .setFollowRedirects(false)
        .setConnectTimeout(timeouts.connect().toMillis())
        .setIdleTimeout(timeouts.idle().toMillis());
  }

  /** Sends the body; completes with the response head or the first failure. */
  private Future<HttpClientResponse> send(Call call, Attempt attempt, HttpClientRequest request) {
    Promise<HttpClientResponse> result = Promise.promise();
    Future<Void> sent;
    if (attempt.body() != null) {
      sent = request.end(attempt.body());
    } else if (Bodies.declaresWhole(call.request().getHeader(HttpHeaders.CONTENT_LENGTH),
        call.maxRequestBody())) {
      // A small body, which mostly came with the head: sent with the head in one write.
      sent = Bodies.read(call.request(), Bodies.WHOLE_MAX).compose(request::end);
    } else {
      sent = streamAgentBody(call, request);
    }
    sent.onComplete(done -> {
      if (done.failed()) {
        // Settle the outcome before resetting: the reset also fails the response future.
        result.tryFail(done.cause() instanceof ProxyException ? done.cause()
            : ErrorCode.UPSTREAM_RESET.exception("the request body could not be sent"));
        request.reset();
        return;
      }
      Duration firstByte = attempt.firstByteTimeout() != null ? attempt.firstByteTimeout()
          : timeouts.firstByte();
      Deadline timer = deadlines.after(firstByte, () -> {
        if (result.tryFail(ErrorCode.UPSTREAM_TIMEOUT.exception(
            "the upstream sent no response within " + Durations.format(firstByte)))) {
          request.reset();
        }
      });
      result.future().onComplete(head -> timer.cancel());
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

  /** Streams the agent's body up as it arrives, failing past the route's limit. */
  private static Future<Void> streamAgentBody(Call call, HttpClientRequest request) {
    HttpServerRequest agent = call.request();
    if (agent.getHeader(HttpHeaders.CONTENT_LENGTH) == null
        && agent.getHeader(HttpHeaders.TRANSFER_ENCODING) != null) {
      request.setChunked(true);
    }
    long maxBody = call.maxRequestBody();
    BodyTap limit = new BodyTap() {
      private long seen;

      @Override
      public Buffer chunk(Buffer chunk) throws ProxyException {
        seen += chunk.length();
        if (seen > maxBody) {
          throw ErrorCode.PAYLOAD_TOO_LARGE.exception(
              "the request body may be at most " + maxBody + " bytes on this route");
        }
        return chunk;
      }
    };
    Pipe<Buffer> upload = new TappedStream(agent, List.of(limit), () -> { }, stop -> { }).pipe();
    upload.endOnFailure(false);
    return upload.to(request);
  }
}
