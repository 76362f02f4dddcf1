package dev.keyward.proxy.audit;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * One operator action through the admin API: who, with which role, did what to which resource,
 * and how it ended. Never the secret being stored or the token being minted.
 *
 * @param outcome {@code ok}, {@code denied} or {@code failed}
 */
public record AdminRecord(Instant time, String requestId, String operator, String role,
    String action, String resource, String outcome, String code, int status)
    implements AuditEntry {

  public static final String TYPE = "admin";

  @Override
  public JsonObject toJson() {
    return new JsonObject()
        .put("type", TYPE)
        .put("time", time.toString())
        .put("request_id", requestId)
        .put("operator", operator)
        .put("role", role)
        .put("action", action)
        .put("resource", resource)
        .put("outcome", outcome)
        .put("code", code)
        .put("status", status);
  }
}
