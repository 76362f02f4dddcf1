package dev.keyward.proxy.error;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/** Writes the one JSON error shape every failure uses. */
public final class ErrorResponses {

  public static final String REQUEST_ID = "X-Request-Id";

  private ErrorResponses() {}

  public static Buffer body(ProxyError error, String requestId) {
    JsonObject detail = new JsonObject()
        .put("code", error.code())
        .put("message", error.message())
        .put("request_id", requestId);
    if (!error.attempts().isEmpty()) {
      JsonArray attempts = new JsonArray();
      for (ProxyError.Attempted attempt : error.attempts()) {
        JsonObject one = new JsonObject().put("target", attempt.target())
            .put("code", attempt.code());
        if (attempt.upstreamStatus() > 0) {
          one.put("upstream_status", attempt.upstreamStatus());
        }
        attempts.add(one);
      }
      detail.put("attempts", attempts);
    }
    return new JsonObject().put("error", detail).toBuffer();
  }

  /**
   * Sends {@code error} unless the response has already started, in which case the connection is
   * reset (a half-sent body cannot be turned into an error).
   */
  public static void send(HttpServerResponse response, ProxyError error, String requestId) {
    send(response, error, requestId, Map.of());
  }

  /**
   * As {@link #send(HttpServerResponse, ProxyError, String)}, with headers such as {@code
   * Retry-After} or {@code Allow}. Headers already on the response are dropped: they may belong to
   * an upstream response that never got sent.
   */
  public static void send(HttpServerResponse response, ProxyError error, String requestId,
      Map<String, String> extraHeaders) {
    if (response.ended() || response.closed()) {
      return;
    }
    if (response.headWritten()) {
      response.reset();
      return;
    }
    response.setStatusCode(error.status());
    response.headers().clear();
    response.putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
    response.putHeader(REQUEST_ID, requestId);
    response.putHeader(HttpHeaders.CACHE_CONTROL, "no-store");
    if (error.status() == 401) {
      response.putHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    }
    extraHeaders.forEach(response::putHeader);
    response.end(body(error, requestId));
  }
}
