package dev.keyward.proxy.tokens;

import dev.keyward.proxy.RequestIds;
import dev.keyward.proxy.error.ErrorCode;
import dev.keyward.proxy.error.ErrorResponses;
import dev.keyward.proxy.error.ProxyError;
import dev.keyward.proxy.error.ProxyException;
import dev.keyward.proxy.http.Bodies;
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

  public TokenEndpoints(Vertx vertx, TokenExchange exchange, TokenState state) {
    this.vertx = vertx;
    this.exchange = exchange;
    this.state = state;
  }

  public boolean handles(String path) {
    return path.equals(TOKENS) || path.equals(JWKS);
  }

  public void handle(HttpServerRequest request) {
    String requestId = RequestIds.fromAgentOrNew(request.getHeader("X-Request-Id"));
    boolean tokens = request.path().equals(TOKENS);
    HttpMethod expected = tokens ? HttpMethod.POST : HttpMethod.GET;
    if (!request.method().equals(expected)) {
      ErrorResponses.send(request.response(), ProxyError.of(ErrorCode.METHOD_NOT_SUPPORTED),
          requestId, Map.of("Allow", expected.name()));
      return;
    }
    if (!tokens) {
      request.response()
          .putHeader(HttpHeaders.CONTENT_TYPE, "application/jwk-set+json")
          .putHeader(HttpHeaders.CACHE_CONTROL, "max-age=60")
          .end(state.publicKeys().jwks());
      return;
    }
    if (state.issuer().isEmpty()) {
      fail(request.response(), new ExchangeRefusedException(ExchangeError.NOT_ISSUING), requestId);
      return;
    }
    String source = request.remoteAddress() == null ? "unknown" : request.remoteAddress().hostAddress();
    Bodies.read(request, MAX_REQUEST_BYTES)
        .compose(body -> {
          try {
            return Future.succeededFuture(parse(body.toString()));
          } catch (ExchangeRefusedException e) {
            return Future.failedFuture(e);
          }
        })
        .compose(parsed -> vertx.executeBlocking(() -> exchange.exchange(parsed, source), false))
        .onSuccess(issued -> respond(request.response(), issued, requestId))
        .onFailure(failure -> fail(request.response(), failure, requestId));
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

  private static void fail(HttpServerResponse response, Throwable failure, String requestId) {
    if (failure instanceof ExchangeRefusedException refused) {
      ExchangeError error = refused.error();
      ErrorResponses.send(response, new ProxyError(error.status(), error.code(),
          refused.getMessage()), requestId, refused.retryAfterSeconds() > 0
          ? Map.of("Retry-After", Long.toString(refused.retryAfterSeconds())) : Map.of());
    } else if (failure instanceof ProxyException proxy) {
      ErrorResponses.send(response, proxy.error(), requestId);
    } else {
      LOG.atError().addKeyValue("request_id", requestId).setCause(failure)
          .log("token exchange failed unexpectedly");
      ErrorResponses.send(response, ProxyError.of(ErrorCode.INTERNAL_ERROR), requestId);
    }
  }
}
