package dev.keyward.proxy.audit;

import io.vertx.core.json.JsonObject;
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

  @Override
  public JsonObject toJson() {
    JsonObject json = new JsonObject()
        .put("type", TYPE)
        .put("time", time.toString())
        .put("request_id", requestId)
        .put("agent", agent)
        .put("tenant", tenant)
        .put("jti", jti)
        .put("route", route)
        .put("credential", credential)
        .put("credential_version", credentialVersion)
        .put("target_host", targetHost)
        .put("method", method)
        .put("path", path)
        .put("decision", decision)
        .put("code", code)
        .put("reason", reason)
        .put("rule", rule)
        .put("policy_version", policyVersion)
        .put("status", status)
        .put("upstream_status", upstreamStatus)
        .put("bytes_in", bytesIn)
        .put("bytes_out", bytesOut)
        .put("latency_us", latencyMicros);
    if (usage != null) {
      json.put("usage", usage.toJson());
    }
    if (attempts > 0) {
      json.put("target", target).put("attempts", attempts);
    } else if (!target.isEmpty()) {
      json.put("target", target); // a forward-proxy call through one target: one key access
    }
    return json;
  }
}
