package dev.keyward.proxy.tokens;

import dev.keyward.policies.Names;
import dev.keyward.proxy.RequestIds;
import dev.keyward.proxy.error.ErrorCode;
import dev.keyward.proxy.error.ErrorResponses;
import dev.keyward.proxy.error.ProxyError;
import dev.keyward.proxy.error.ProxyException;
import dev.keyward.proxy.http.Bodies;
import dev.keyward.proxy.stage.RecordOutcome;
import dev.keyward.token.ExchangeError;
import dev.keyward.token.ExchangeRefusedException;
import dev.keyward.token.IssuedToken;
import dev.keyward.token.Purpose;
import dev.keyward.token.TokenExchange;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The token endpoints on the agent port: {@code POST /v1/tokens} (client credentials for a
 * platform token, OAuth-style response) and {@code GET /.well-known/jwks.json} (the public keys).
 */
public final class TokenEndpoints {

  public static final String TOKENS = "/v1/tokens";
  public static final String JWKS = "/.well-known/jwks.json";
  static final int MAX_REQUEST_BYTES = 16 * 1024;
  private static final Logger LOG = LoggerFactory.getLogger(TokenEndpoints.class);

  private final Vertx vertx;
  private final TokenExchange exchange;
  private final TokenState state;
  private final RecordOutcome recordOutcome;

  public TokenEndpoints(Vertx vertx, TokenExchange exchange, TokenState state,
      RecordOutcome recordOutcome) {
    this.vertx = vertx;
    this.exchange = exchange;
    this.state = state;
    this.recordOutcome = recordOutcome;
  }

  public boolean handles(String path) {
    return path.equals(TOKENS) || path.equals(JWKS);
  }

  /** Serves the request, then records it in the audit trail and the metrics like any other. */
  public void handle(HttpServerRequest request) {
    RecordOutcome.Unrouted unrouted = RecordOutcome.Unrouted.of(
        RequestIds.fromAgentOrNew(request.getHeader("X-Request-Id")), System.nanoTime(),
        request.method().name(), request.path());
    boolean tokens = request.path().equals(TOKENS);
    HttpMethod expected = tokens ? HttpMethod.POST : HttpMethod.GET;
    if (!request.method().equals(expected)) {
      ProxyError error = ProxyError.of(ErrorCode.METHOD_NOT_SUPPORTED);
      ErrorResponses.send(request.response(), error, unrouted.requestId(),
          Map.of("Allow", expected.name()));
      recordOutcome.unrouted(unrouted, error.status(), error);
      return;
    }
    if (!tokens) {
      request.response()
          .putHeader(HttpHeaders.CONTENT_TYPE, "application/jwk-set+json")
          .putHeader(HttpHeaders.CACHE_CONTROL, "max-age=60")
          .end(state.publicKeys().jwks());
      recordOutcome.unrouted(unrouted, 200, null);
      return;
    }
    if (state.issuer().isEmpty()) {
      fail(request.response(), new ExchangeRefusedException(ExchangeError.NOT_ISSUING), unrouted);
      return;
    }
    String source = request.remoteAddress() == null ? "unknown" : request.remoteAddress().hostAddress();
    AtomicReference<RecordOutcome.Unrouted> claimed = new AtomicReference<>(unrouted);
    Bodies.read(request, MAX_REQUEST_BYTES)
        .compose(body -> {
          try {
            TokenExchange.Request parsed = parse(body.toString());
            if (Names.isValid(parsed.clientId())) { // only a well-formed id reaches the audit
              claimed.set(unrouted.withAgent(parsed.clientId(), "", ""));
            }
            return Future.succeededFuture(parsed);
          } catch (ExchangeRefusedException e) {
            return Future.failedFuture(e);
          }
        })
        .compose(parsed -> vertx.executeBlocking(() -> exchange.exchange(parsed, source), false))
        .onSuccess(issued -> {
          respond(request.response(), issued, unrouted.requestId());
          recordOutcome.unrouted(unrouted.withAgent(issued.claims().agent(),
              issued.claims().tenant(), issued.claims().jti()), 200, null);
        })
        .onFailure(failure -> fail(request.response(), failure, claimed.get()));
  }

  static TokenExchange.Request parse(String body) throws ExchangeRefusedException {
    JsonObject json;
    try {
      json = new JsonObject(body);
    } catch (DecodeException e) {
      throw new ExchangeRefusedException(ExchangeError.INVALID_REQUEST);
    }
    Object id = json.getValue("client_id");
    Object secret = json.getValue("client_secret");
    Object ttl = json.getValue("ttl_seconds");
    Object purpose = json.getValue("purpose");
    if (!(id instanceof String) || !(secret instanceof String)
        || (ttl != null && !(ttl instanceof Integer || ttl instanceof Long))
        || (purpose != null && !(purpose instanceof String))) {
      throw new ExchangeRefusedException(ExchangeError.INVALID_REQUEST);
    }
    Optional<Purpose> parsedPurpose = Optional.empty();
    if (purpose != null) {
      parsedPurpose = Purpose.fromClaim((String) purpose);
      if (parsedPurpose.isEmpty()) {
        throw new ExchangeRefusedException(ExchangeError.INVALID_REQUEST,
            "purpose must be conversation, heartbeat or subagent", 0);
      }
    }
    Optional<Duration> parsedTtl = ttl == null ? Optional.empty()
        : Optional.of(Duration.ofSeconds(((Number) ttl).longValue()));
    return new TokenExchange.Request((String) id, (String) secret, parsedTtl, parsedPurpose);
  }

  private static void respond(HttpServerResponse response, IssuedToken issued, String requestId) {
    long expiresIn = Duration.between(issued.claims().issuedAt(), issued.claims().expiresAt())
        .toSeconds();
    response.putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .putHeader("Pragma", "no-cache")
        .putHeader("X-Request-Id", requestId)
        .end(new JsonObject()
            .put("access_token", issued.token())
            .put("token_type", "Bearer")
            .put("expires_in", expiresIn)
            .put("expires_at", issued.claims().expiresAt().toString())
            .put("agent", issued.claims().agent())
            .put("tenant", issued.claims().tenant())
            .encode());
  }

  private void fail(HttpServerResponse response, Throwable failure,
      RecordOutcome.Unrouted request) {
    String requestId = request.requestId();
    ProxyError error;
    Map<String, String> headers = Map.of();
    if (failure instanceof ExchangeRefusedException refused) {
      error = new ProxyError(refused.error().status(), refused.error().code(),
          refused.getMessage());
      if (refused.retryAfterSeconds() > 0) {
        headers = Map.of("Retry-After", Long.toString(refused.retryAfterSeconds()));
      }
    } else if (failure instanceof ProxyException proxy) {
      error = proxy.error();
    } else {
      LOG.atError().addKeyValue("request_id", requestId).setCause(failure)
          .log("token exchange failed unexpectedly");
      error = ProxyError.of(ErrorCode.INTERNAL_ERROR);
    }
    ErrorResponses.send(response, error, requestId, headers);
    recordOutcome.unrouted(request, error.status(), error);
  }
}
