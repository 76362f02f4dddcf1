package dev.keyward.proxy.audit;

import java.time.Instant;

/**
 * One decision about one request, as the security team reads it. Built only from non-secret facts:
 * no key, no token, no query string.
 *
 * @param decision {@code allowed}, {@code would_deny}, {@code denied} or {@code failed}
 * @param code {@code allowed} or the stable code of what denied or failed it
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
    int status,
    int upstreamStatus,
    long bytesIn,
    long bytesOut,
    long latencyMicros) {}
