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
    audit.record(new AuditRecord(clock.instant(), exchange.requestId(),
        token == null ? "" : token.agent(), token == null ? "" : token.tenant(),
        token == null ? "" : token.jti(), exchange.route(), exchange.credentialId(),
        exchange.credentialVersion(), target == null ? "" : target.host(), exchange.method(),
        target == null ? "" : AuditPaths.scrub(target.path()), outcome, code, reason,
        decision == null ? "" : decision.rule(), exchange.policyVersion(), status,
        exchange.upstreamStatus(), exchange.bytesIn(), exchange.bytesOut(),
        TimeUnit.NANOSECONDS.toMicros(elapsedNanos)));
    String route = !exchange.route().isEmpty() ? exchange.route()
        : target != null ? Metrics.EXPLICIT_TARGET : Metrics.NO_ROUTE;
    metrics.request(route, outcome, code, status, elapsedNanos, exchange.upstreamLatencyNanos());
    if (LOG.isDebugEnabled()) { // off by default: build nothing on the hot path
      LOG.atDebug().addKeyValue("request_id", exchange.requestId()).addKeyValue("route", route)
          .addKeyValue("outcome", outcome).addKeyValue("code", code).addKeyValue("status", status)
          .log("request ended");
    }
  }
}
