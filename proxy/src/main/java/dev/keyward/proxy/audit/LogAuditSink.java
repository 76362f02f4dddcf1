package dev.keyward.proxy.audit;

import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Writes each record as one JSON line to the {@code keyward.audit} logger. */
public final class LogAuditSink implements AuditSink {

  private static final Logger AUDIT = LoggerFactory.getLogger("keyward.audit");

  @Override
  public void record(AuditRecord r) {
    if (AUDIT.isInfoEnabled()) {
      AUDIT.info(toJson(r).encode());
    }
  }

  public static JsonObject toJson(AuditRecord r) {
    return new JsonObject()
        .put("time", r.time().toString())
        .put("request_id", r.requestId())
        .put("agent", r.agent())
        .put("tenant", r.tenant())
        .put("jti", r.jti())
        .put("route", r.route())
        .put("credential", r.credential())
        .put("credential_version", r.credentialVersion())
        .put("target_host", r.targetHost())
        .put("method", r.method())
        .put("path", r.path())
        .put("decision", r.decision())
        .put("code", r.code())
        .put("status", r.status())
        .put("upstream_status", r.upstreamStatus())
        .put("bytes_in", r.bytesIn())
        .put("bytes_out", r.bytesOut())
        .put("latency_us", r.latencyMicros());
  }
}
