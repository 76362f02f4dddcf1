package dev.keyward.proxy.audit;

import com.fasterxml.jackson.core.JsonGenerator;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Instant;

/**
 * One decision about one proxied request, as the security team reads it. Built only from
 * non-secret facts: no key, no token, no query string.
 *
 * @param decision {@code allowed}, {@code would_deny}, {@code denied} or {@code failed}
 * @param code {@code allowed} or the stable code of what denied or failed it
 * @param reason the policy's reason, or what went wrong; for people, never a secret
 * @param rule the grant or rule that decided, if any
 * @param policyVersion the version of the policy that decided
 * @param usage what an LLM call used and cost; null for other calls
 * @param target on a route with targets, the target that answered (on a forward-proxy call, the
 *     one it went through); empty when none did
 * @param attempts on a route with targets, how many attempt records precede this one; 0 on other
 *     routes (the request itself is then the one key access)
 */
public record AuditRecord(
    Instant time,
    String requestId,
    String agent,
    String tenant,
    String jti,
    String route,
    String credential,
    int credentialVersion,
    String targetHost,
    String method,
    String path,
    String decision,
    String code,
    String reason,
    String rule,
    String policyVersion,
    int status,
    int upstreamStatus,
    long bytesIn,
    long bytesOut,
    long latencyMicros,
    AuditUsage usage,
    String target,
    int attempts) implements AuditEntry {

  public static final String TYPE = "request";

  /** The record of a request on a route with one upstream (or an explicit target). */
  public AuditRecord(Instant time, String requestId, String agent, String tenant, String jti,
      String route, String credential, int credentialVersion, String targetHost, String method,
      String path, String decision, String code, String reason, String rule,
      String policyVersion, int status, int upstreamStatus, long bytesIn, long bytesOut,
      long latencyMicros, AuditUsage usage) {
    this(time, requestId, agent, tenant, jti, route, credential, credentialVersion, targetHost,
        method, path, decision, code, reason, rule, policyVersion, status, upstreamStatus,
        bytesIn, bytesOut, latencyMicros, usage, "", 0);
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
    out.writeStringField("agent", agent);
    out.writeStringField("tenant", tenant);
    out.writeStringField("jti", jti);
    out.writeStringField("route", route);
    out.writeStringField("credential", credential);
    out.writeNumberField("credential_version", credentialVersion);
    out.writeStringField("target_host", targetHost);
    out.writeStringField("method", method);
    out.writeStringField("path", path);
    out.writeStringField("decision", decision);
    out.writeStringField("code", code);
    out.writeStringField("reason", reason);
    out.writeStringField("rule", rule);
    out.writeStringField("policy_version", policyVersion);
    out.writeNumberField("status", status);
    out.writeNumberField("upstream_status", upstreamStatus);
    out.writeNumberField("bytes_in", bytesIn);
    out.writeNumberField("bytes_out", bytesOut);
    out.writeNumberField("latency_us", latencyMicros);
    if (usage != null) {
      out.writeFieldName("usage");
      out.writeRawValue(usage.toJson().encode());
    }
    if (attempts > 0) {
      out.writeStringField("target", target);
      out.writeNumberField("attempts", attempts);
    } else if (!target.isEmpty()) {
      out.writeStringField("target", target);
    }
  }
}
