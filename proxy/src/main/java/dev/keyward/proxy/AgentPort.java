package dev.keyward.proxy;

import dev.keyward.proxy.error.ErrorCode;
import dev.keyward.proxy.error.ErrorResponses;
import dev.keyward.proxy.error.ProxyError;
import dev.keyward.proxy.http.SlowClientGuard;
import dev.keyward.proxy.stage.ResolveTarget;
import dev.keyward.proxy.tokens.TokenEndpoints;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;

/**
 * What agents reach: proxy routes ({@code /r/…}), the token exchange and the JWK set. Everything
 * else is a JSON 404.
 */
final class AgentPort implements Handler<HttpServerRequest> {

  private final Pipeline pipeline;
  private final TokenEndpoints tokens;
  private final SlowClientGuard slowClients;
  private volatile boolean draining;

  AgentPort(Pipeline pipeline, TokenEndpoints tokens, SlowClientGuard slowClients) {
    this.pipeline = pipeline;
    this.tokens = tokens;
    this.slowClients = slowClients;
  }

  boolean draining() {
    return draining;
  }

  /** From now on, new requests get 503 shutting_down; requests already running finish. */
  void drain() {
    draining = true;
  }

  @Override
  public void handle(HttpServerRequest request) {
    slowClients.requestArrived(request);
    String path = request.path();
    if (draining) {
      ErrorResponses.send(request.response(), ProxyError.of(ErrorCode.SHUTTING_DOWN),
          RequestIds.fromAgentOrNew(request.getHeader("X-Request-Id")),
          java.util.Map.of("Connection", "close"));
    } else if (ResolveTarget.handles(path)) {
      pipeline.handle(request);
    } else if (tokens.handles(path)) {
      tokens.handle(request);
    } else {
      ErrorResponses.send(request.response(), ProxyError.of(ErrorCode.NOT_FOUND),
          RequestIds.fromAgentOrNew(request.getHeader("X-Request-Id")));
    }
  }
}
