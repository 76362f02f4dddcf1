package dev.keyward.proxy.stage;

import dev.keyward.policies.Decision;
import dev.keyward.policies.Target;
import dev.keyward.proxy.audit.AttemptRecord;
import dev.keyward.proxy.audit.AuditPaths;
import dev.keyward.proxy.audit.AuditRecord;
import dev.keyward.proxy.audit.AuditSink;
import dev.keyward.proxy.audit.AuditUsage;
import dev.keyward.proxy.call.Attempt;
import dev.keyward.proxy.call.Call;
import dev.keyward.proxy.call.Interceptor;
import dev.keyward.proxy.call.Outcome;
import dev.keyward.proxy.error.ErrorCode;
import dev.keyward.proxy.error.ProxyError;
import dev.keyward.proxy.error.ProxyException;
import dev.keyward.proxy.metrics.Metrics;
import dev.keyward.token.PlatformToken;
import dev.keyward.token.Purpose;
import io.vertx.core.Future;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a request ended, once, in the audit trail and in the metrics (first in the chain, so its
 * {@code onEnd} runs last, when everything else has said what it knows). On a route with targets
 * each attempt gets its own record first ({@link AttemptRecord}): those that did not answer as
 * they end, the one that answered (or was under way) just before the request's. Refused before or
 * by the policy: {@code denied}; went wrong after the policy allowed it: {@code failed}; allowed by
 * a report-mode rule that would have denied it: {@code would_deny}; else {@code allowed}.
 */
public final class RecordOutcome implements Interceptor {

  private static final Logger LOG = LoggerFactory.getLogger(RecordOutcome.class);

  private static final int MAX_UNROUTED_PATH = 512;
  /** The outcome (and code) of the attempt whose answer reached the agent. */
  private static final String SERVED = "served";

  private final AuditSink audit;
  private final Metrics metrics;
  private final Clock clock;

  public RecordOutcome(AuditSink audit, Metrics metrics, Clock clock) {
    this.audit = audit;
    this.metrics = metrics;
    this.clock = clock;
  }

  /** Refuses every call while it could not be audited (the audit log is failing closed). */
  @Override
  public Future<Void> onRequest(Call call) {
    return audit.accepting() ? CONTINUE
        : Future.failedFuture(ErrorCode.AUDIT_UNAVAILABLE.exception());
  }

  @Override
  public void onEnd(Call call, Outcome outcome) {
    long elapsedNanos = System.nanoTime() - call.startNanos();
    boolean chained = call.plan() != null;
    Attempt attempt = call.attempt();
    Decision decision = outcome.denial().orElse(chained && attempt != null
        && attempt.decision() != null ? attempt.decision() : call.decision());
    String result;
    String code;
    String reason;
    ProxyError failure = outcome.failure().orElse(null);
    if (failure != null) {
      boolean denied = decision == null || !decision.allowed();
      result = denied ? "denied" : "failed";
      code = failure.code();
      reason = denied && decision != null ? decision.reason() : failure.message();
    } else if (decision != null && decision.effect() == Decision.Effect.WOULD_DENY) {
      result = "would_deny";
      code = decision.code();
      reason = decision.reason();
    } else {
      result = "allowed";
      code = Decision.ALLOWED;
      reason = decision == null ? "" : decision.reason();
    }
    if (chained && attempt != null) {
      // The attempt that answered (or was under way when the call ended): its own record first.
      recordAttempt(call, attempt, attempt.answered() ? SERVED : Attempt.Ending.FAILED.wireName(),
          failure == null ? SERVED : failure.code(), reason, decision == null ? "" : decision.rule());
    }
    PlatformToken token = call.token();
    // On a route with targets, what went upstream is the answering attempt's; none: nothing,
    // unless the policy refused the call, which names the credential it refused.
    Target target = !chained ? call.target() : attempt == null ? null : attempt.planned();
    String credential = !chained ? call.credentialId()
        : attempt != null ? attempt.credentialId()
        : result.equals("denied") && decision != null ? decision.credentialId() : "";
    String model = attempt != null && attempt.model() != null ? attempt.model() : call.model();
    String route = !call.routeName().isEmpty() ? call.routeName()
        : call.forward() != null ? Metrics.FORWARD_PROXY
        : target != null ? Metrics.EXPLICIT_TARGET : Metrics.NO_ROUTE;
    // Counted before it is audited: whoever reads the audit record finds the request counted.
    count(call.requestId(), route, result, code, outcome.status(), elapsedNanos,
        call.upstreamLatencyNanos());
    audit.record(new AuditRecord(clock.instant(), call.requestId(),
        token == null ? "" : token.agent(), token == null ? "" : token.tenant(),
        token == null ? "" : token.jti(), call.routeName(), credential,
        call.credentialVersion(), target == null ? "" : target.host(), call.method(),
        target == null ? "" : AuditPaths.scrub(target.path()), result, code,
        AuditPaths.scrub(reason),
        decision == null ? "" : decision.rule(), call.policy().version(), outcome.status(),
        call.upstreamStatus(), call.bytesIn(), call.bytesOut(),
        TimeUnit.NANOSECONDS.toMicros(elapsedNanos),
        call.usage() == null ? null : new AuditUsage(model,
            token == null ? null : token.purpose().map(Purpose::claim).orElse(null), call.usage(),
            call.cost()),
        attempt != null && attempt.answered() && attempt.via() != null ? attempt.via().name()
            : "",
        call.attemptsReached()));
  }

  /** An attempt of a route with targets that did not answer: its own record. */
  @Override
  public void onAttemptEnd(Call call, Attempt attempt) {
    ProxyException why = attempt.endedBy();
    recordAttempt(call, attempt, attempt.ending().wireName(), why.error().code(),
        why.denial().map(Decision::reason).orElse(why.error().message()),
        why.denial().map(Decision::rule).orElse(""));
  }

  private void recordAttempt(Call call, Attempt attempt, String outcome, String code,
      String reason, String rule) {
    PlatformToken token = call.token();
    Target planned = attempt.planned();
    metrics.attempt(call.routeName(), attempt.via().name(), outcome, code);
    audit.record(new AttemptRecord(clock.instant(), call.requestId(), attempt.number(),
        token.agent(), token.tenant(), call.routeName(), attempt.via().name(),
        attempt.credentialId(), attempt.credentialVersion(), planned.host(),
        AuditPaths.scrub(planned.path()), attempt.model() == null ? "" : attempt.model(),
        outcome, code, AuditPaths.scrub(reason), rule, attempt.upstreamStatus(),
        attempt.latencyNanos() < 0 ? -1 : TimeUnit.NANOSECONDS.toMicros(attempt.latencyNanos())));
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
        failure == null ? "served by Keyward" : AuditPaths.scrub(failure.message()), "", "",
        status, 0, 0, 0,
        TimeUnit.NANOSECONDS.toMicros(elapsedNanos), null));
  }

  /**
   * A connection the forward proxy was asked for ({@code CONNECT host:port}) and did not
   * intercept: refused (by the policy, for a bad token, an unreachable host), or tunnelled
   * untouched, recorded when the tunnel closes with the bytes each way. (An intercepted one is
   * recorded request by request.)
   *
   * @param decision the policy's plan for the host; null when refused before it was asked
   * @param failure why it was refused or failed; null when tunnelled
   */
  public void connection(Unrouted request, String host, String policyVersion, Decision decision,
      int status, ProxyError failure, long bytesIn, long bytesOut) {
    long elapsedNanos = System.nanoTime() - request.startNanos();
    boolean denied = failure != null && (decision == null || !decision.allowed());
    String outcome = failure == null ? "allowed" : denied ? "denied" : "failed";
    String code = failure == null ? Decision.ALLOWED : failure.code();
    String reason = failure == null || (denied && decision != null)
        ? (decision == null ? "" : decision.reason()) : failure.message();
    count(request.requestId(), Metrics.FORWARD_PROXY, outcome, code, status, elapsedNanos, -1);
    audit.record(new AuditRecord(clock.instant(), request.requestId(), request.agent(),
        request.tenant(), request.jti(), "", "", 0, host, request.method(), "", outcome, code,
        AuditPaths.scrub(reason), decision == null ? "" : decision.rule(), policyVersion, status, 0,
        bytesIn, bytesOut, TimeUnit.NANOSECONDS.toMicros(elapsedNanos), null));
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
