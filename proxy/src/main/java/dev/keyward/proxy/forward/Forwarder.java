package dev.keyward.proxy.forward;

import dev.keyward.policies.PolicySet;
import dev.keyward.policies.Target;
import dev.keyward.proxy.stage.Exchange;
import dev.keyward.proxy.stage.Inject.Outbound;
import io.vertx.core.Future;
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
import io.vertx.core.streams.WriteStream;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * Stage 6: sends the request to the checked upstream address and streams both bodies. Redirects
 * are never followed: a 3xx goes back to the agent as it is. A failure before the response starts
 * becomes a JSON error; a failure after it resets the agent's stream rather than ending it, so a
 * truncated body can never look complete.
 */
public final class Forwarder {

  private final HttpClient client;
  private final UpstreamAddresses addresses;
  private final Duration connectTimeout;
  private final Duration idleTimeout;

  public Forwarder(HttpClient client, UpstreamAddresses addresses, Duration connectTimeout,
      Duration idleTimeout) {
    this.client = client;
    this.addresses = addresses;
    this.connectTimeout = connectTimeout;
    this.idleTimeout = idleTimeout;
  }

  /**
   * Completes when the response has been fully sent to the agent; fails with a {@code
   * ProxyException} when nothing has been sent yet, or with the stream failure when the agent's
   * response had already started (and has been reset).
   */
  public Future<Void> forward(HttpServerRequest agent, Exchange exchange, Outbound outbound,
      PolicySet policy) {
    Target target = outbound.target();
    return addresses.resolve(target, exchange.credentialId(), policy)
        .compose(address -> client.request(options(target, outbound, agent.method(), address)))
        .compose(request -> send(agent, request))
        .recover(failure -> Future.failedFuture(UpstreamFailures.map(failure)))
        .compose(response -> relay(agent, exchange, response));
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
        .setConnectTimeout(connectTimeout.toMillis())
        .setIdleTimeout(idleTimeout.toMillis());
  }

  private static Future<HttpClientResponse> send(HttpServerRequest agent, HttpClientRequest request) {
    if (agent.getHeader(HttpHeaders.CONTENT_LENGTH) == null
        && agent.getHeader(HttpHeaders.TRANSFER_ENCODING) != null) {
      request.setChunked(true);
    }
    Future<HttpClientResponse> response = request.response();
    pipe(agent, request, () -> request.reset());
    return response;
  }

  private static Future<Void> relay(HttpServerRequest agent, Exchange exchange,
      HttpClientResponse upstream) {
    exchange.upstreamStatus(upstream.statusCode());
    HttpServerResponse response = agent.response();
    response.setStatusCode(upstream.statusCode());
    if (upstream.statusMessage() != null) {
      response.setStatusMessage(upstream.statusMessage());
    }
    HeaderHygiene.toAgent(upstream.headers(), response.headers());
    response.putHeader("X-Request-Id", exchange.requestId());
    if (response.headers().get(HttpHeaders.CONTENT_LENGTH) == null) {
      response.setChunked(true);
    }
    return pipe(upstream, response, () -> {
      response.reset();
      upstream.request().reset();
    }).andThen(done -> {
      exchange.addBytesIn(agent.bytesRead());
      exchange.addBytesOut(response.bytesWritten());
    });
  }

  /** Pipes without ending the destination on failure; {@code onFailure} resets both sides. */
  private static Future<Void> pipe(ReadStream<Buffer> from, WriteStream<Buffer> to,
      Runnable onFailure) {
    Pipe<Buffer> pipe = from.pipe();
    pipe.endOnFailure(false);
    return pipe.to(to).onFailure(failure -> onFailure.run());
  }
}
