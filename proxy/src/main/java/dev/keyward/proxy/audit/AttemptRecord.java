package dev.keyward.proxy.audit;

import dev.keyward.policies.DenyCode;
import com.fasterxml.jackson.core.JsonGenerator;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Instant;

/**
 * One attempt of a call on a route with targets: a key access of its own. Each target whose turn
 * came gets one, whether it answered the agent ({@code served}), its upstream failed ({@code
 * failed}) or it was not sent ({@code skipped}: refused by the policy or a budget, its circuit
 * open, its key not stored). The call's own {@link AuditRecord} follows them. Built only from
 * non-secret facts: no key, no token, no query string, no upstream body.
 *
 * @param attempt its number among the call's attempts, from 1, in the order they were tried
 * @param outcome {@code served}, {@code failed} or {@code skipped}
 * @param code what stopped it (an error, denial or attempt code), or {@code served}
 * @param credentialVersion the version of the key sent; 0 when none was unsealed
 * @param upstreamStatus what the upstream answered; 0 when it did not
 * @param firstByteMicros from sending to the upstream's response head; -1 when it did not answer
 */
public record AttemptRecord(
    Instant time,
    String requestId,
    int attempt,
    String agent,
    String tenant,
    String route,
    String target,
    String credential,
    int credentialVersion,
    String targetHost,
    String path,
    String model,
    String outcome,
    String code,
    String reason,
    String rule,
    int upstreamStatus,
    long firstByteMicros) implements AuditEntry {

  public static final String TYPE = "attempt";

  /**
   * True for the audit entries that are key accesses: attempt records, and request records of
   * calls without attempts (a call with targets is counted by its attempts; its request record
   * names the answering attempt's credential and is not counted again).
   */
  public static boolean isKeyAccess(JsonObject entry) {
    String type = entry.getString("type");
    return TYPE.equals(type)
        || AuditRecord.TYPE.equals(type) && entry.getInteger("attempts", 0) == 0;
  }

  /**
   * How an attempt record counts as a key access, in the decisions of request records: {@code
   * allowed} (served), {@code denied} (skipped by the policy or a budget: no key sent) or {@code
   * failed} (sent and the upstream failed, or skipped for another reason: its circuit open, its
   * key not stored).
   */
  public static String decision(JsonObject attempt) {
    return switch (attempt.getString("outcome", "")) {
      case "served" -> "allowed";
      case "skipped" -> DenyCode.of(attempt.getString("code", "")).isPresent() ? "denied"
          : "failed";
      default -> "failed";
    };
  }

  /** The fields {@link #writeFields} writes, as an object. */
  @Override
  public JsonObject toJson() {
    return AuditLines.toJson(this);
  }

  @Override
  public void writeFields(JsonGenerator out) throws IOException {
    out.writeStringField("type", TYPE);
    out.writeStringField("time", time.toString());
    out.writeStringField("request_id", requestId);
    out.writeNumberField("attempt", attempt);
    out.writeStringField("agent", agent);
    out.writeStringField("tenant", tenant);
    out.writeStringField("route", route);
    out.writeStringField("target", target);
    out.writeStringField("credential", credential);
    out.writeNumberField("credential_version", credentialVersion);
    out.writeStringField("target_host", targetHost);
    out.writeStringField("path", path);
    out.writeStringField("model", model);
    out.writeStringField("outcome", outcome);
    out.writeStringField("code", code);
    out.writeStringField("reason", reason);
    out.writeStringField("rule", rule);
    out.writeNumberField("upstream_status", upstreamStatus);
    out.writeNumberField("first_byte_us", firstByteMicros);
  }
}
