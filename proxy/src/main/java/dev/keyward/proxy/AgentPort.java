package dev.keyward.proxy;

import dev.keyward.proxy.error.ErrorCode;
import dev.keyward.proxy.error.ErrorResponses;
import dev.keyward.proxy.error.ProxyError;
import dev.keyward.proxy.http.SlowClientGuard;
import dev.keyward.proxy.stage.RecordOutcome;
import dev.keyward.proxy.stage.ResolveTarget;
import dev.keyward.proxy.tokens.TokenEndpoints;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import java.util.Map;

/**
 * What agents reach: proxy routes ({@code /r/…}), the token exchange and the JWK set. Everything
 * else is a JSON 404.
 */
final class AgentPort implements Handler<HttpServerRequest> {

  private final Pipeline pipeline;
  private final TokenEndpoints tokens;
  private final SlowClientGuard slowClients;
  private final RecordOutcome recordOutcome;
  private volatile boolean draining;

  AgentPort(Pipeline pipeline, TokenEndpoints tokens, SlowClientGuard slowClients,
      RecordOutcome recordOutcome) {
    this.pipeline = pipeline;
    this.tokens = tokens;
    this.slowClients = slowClients;
    this.recordOutcome = recordOutcome;
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
      refuse(request, ErrorCode.SHUTTING_DOWN, Map.of("Connection", "close"));
    } else if (ResolveTarget.handles(path)) {
      pipeline.handle(request);
    } else if (tokens.handles(path)) {
      tokens.handle(request);
    } else {
      refuse(request, ErrorCode.NOT_FOUND, Map.of());
    }
  }

  private void refuse(HttpServerRequest request, ErrorCode code, Map<String, String> headers) {
    RecordOutcome.Unrouted unrouted = RecordOutcome.Unrouted.of(
        RequestIds.fromAgentOrNew(request.getHeader("X-Request-Id")), System.nanoTime(),
        request.method().name(), request.path());
    ProxyError error = ProxyError.of(code);
    ErrorResponses.send(request.response(), error, unrouted.requestId(), headers);
    recordOutcome.unrouted(unrouted, error.status(), error);
  }
}
