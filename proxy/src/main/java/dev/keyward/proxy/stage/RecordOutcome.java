package dev.keyward.proxy.stage;

import dev.keyward.policies.Decision;
import dev.keyward.policies.Target;
import dev.keyward.proxy.audit.AuditPaths;
import dev.keyward.proxy.audit.AuditRecord;
import dev.keyward.proxy.audit.AuditSink;
import dev.keyward.proxy.error.ProxyError;
import dev.keyward.proxy.metrics.Metrics;
import dev.keyward.token.PlatformToken;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 7: how the request ended, once, in the audit trail and in the metrics. Refused before or
 * by the policy: {@code denied}; went wrong after the policy allowed it: {@code failed}; allowed by
 * a report-mode rule that would have denied it: {@code would_deny}; else {@code allowed}.
 */
public final class RecordOutcome {

  private static final Logger LOG = LoggerFactory.getLogger(RecordOutcome.class);

  private static final int MAX_UNROUTED_PATH = 512;

  private final AuditSink audit;
  private final Metrics metrics;
  private final Clock clock;

  public RecordOutcome(AuditSink audit, Metrics metrics, Clock clock) {
    this.audit = audit;
    this.metrics = metrics;
    this.clock = clock;
  }

  /** False while requests must be refused because they could not be audited. */
  public boolean accepting() {
    return audit.accepting();
  }

  /**
   * @param failure how the request was refused or failed; null if it was served
   */
  public void apply(Exchange exchange, int status, ProxyError failure) {
    long elapsedNanos = System.nanoTime() - exchange.startNanos();
    Decision decision = exchange.decision();
    String outcome;
    String code;
    String reason;
    if (failure != null) {
      boolean denied = decision == null || !decision.allowed();
      outcome = denied ? "denied" : "failed";
      code = failure.code();
      reason = denied && decision != null ? decision.reason() : failure.message();
    } else if (decision != null && decision.effect() == Decision.Effect.WOULD_DENY) {
      outcome = "would_deny";
      code = decision.code();
      reason = decision.reason();
    } else {
      outcome = "allowed";
      code = Decision.ALLOWED;
      reason = decision == null ? "" : decision.reason();
    }
    PlatformToken token = exchange.token();
    Target target = exchange.target();
    String route = !exchange.route().isEmpty() ? exchange.route()
        : target != null ? Metrics.EXPLICIT_TARGET : Metrics.NO_ROUTE;
    // Counted before it is audited: whoever reads the audit record finds the request counted.
    count(exchange.requestId(), route, outcome, code, status, elapsedNanos,
        exchange.upstreamLatencyNanos());
    audit.record(new AuditRecord(clock.instant(), exchange.requestId(),
        token == null ? "" : token.agent(), token == null ? "" : token.tenant(),
        token == null ? "" : token.jti(), exchange.route(), exchange.credentialId(),
        exchange.credentialVersion(), target == null ? "" : target.host(), exchange.method(),
        target == null ? "" : AuditPaths.scrub(target.path()), outcome, code, reason,
        decision == null ? "" : decision.rule(), exchange.policyVersion(), status,
        exchange.upstreamStatus(), exchange.bytesIn(), exchange.bytesOut(),
        TimeUnit.NANOSECONDS.toMicros(elapsedNanos)));
  }

  /**
   * A request that never entered the pipeline: refused at the door (an unknown path or method, a
   * request the HTTP decoder could not read, a draining instance) or answered by a token
   * endpoint. Refused ones are {@code denied}; the path is scrubbed like any other.
   *
   * @param failure how it was refused; null if it was served
   */
  public void unrouted(Unrouted request, int status, ProxyError failure) {
    long elapsedNanos = System.nanoTime() - request.startNanos();
    String outcome = failure == null ? "allowed" : "denied";
    String code = failure == null ? Decision.ALLOWED : failure.code();
    count(request.requestId(), Metrics.NO_ROUTE, outcome, code, status, elapsedNanos, -1);
    audit.record(new AuditRecord(clock.instant(), request.requestId(), request.agent(),
        request.tenant(), request.jti(), "", "", 0, "", request.method(),
        AuditPaths.scrub(bounded(request.path())), outcome, code,
        failure == null ? "served by Keyward" : failure.message(), "", "", status, 0, 0, 0,
        TimeUnit.NANOSECONDS.toMicros(elapsedNanos)));
  }

  /** An unrouted path is whatever the agent sent: kept, but not at any length. */
  private static String bounded(String path) {
    return path.length() <= MAX_UNROUTED_PATH ? path : path.substring(0, MAX_UNROUTED_PATH) + "…";
  }

  /** What is known of a request that never entered the pipeline; empty strings when unknown. */
  public record Unrouted(String requestId, long startNanos, String method, String path,
      String agent, String tenant, String jti) {

    public static Unrouted of(String requestId, long startNanos, String method, String path) {
      return new Unrouted(requestId, startNanos, method, path, "", "", "");
    }

    public Unrouted withAgent(String agentId, String tenantId, String tokenId) {
      return new Unrouted(requestId, startNanos, method, path, agentId, tenantId, tokenId);
    }
  }

  private void count(String requestId, String route, String outcome, String code, int status,
      long elapsedNanos, long upstreamNanos) {
    metrics.request(route, outcome, code, status, elapsedNanos, upstreamNanos);
    if (LOG.isDebugEnabled()) { // off by default: build nothing on the hot path
      LOG.atDebug().addKeyValue("request_id", requestId).addKeyValue("route", route)
          .addKeyValue("outcome", outcome).addKeyValue("code", code).addKeyValue("status", status)
          .log("request ended");
    }
  }
}
