package dev.keyward.proxy;

import dev.keyward.policies.Decision;
import dev.keyward.proxy.call.Attempt;
import dev.keyward.proxy.call.Call;
import dev.keyward.proxy.call.Interceptor;
import dev.keyward.proxy.call.Outcome;
import dev.keyward.proxy.error.ErrorCode;
import dev.keyward.proxy.error.ErrorResponses;
import dev.keyward.proxy.error.ProxyError;
import dev.keyward.proxy.error.ProxyException;
import dev.keyward.proxy.forward.Relay;
import dev.keyward.proxy.forward.UpstreamCall;
import dev.keyward.proxy.http.Deadlines;
import dev.keyward.proxy.http.Deadlines.Deadline;
import dev.keyward.proxy.routing.AttemptCode;
import dev.keyward.proxy.routing.TargetRouter;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request path: an ordered chain of {@link Interceptor}s around the upstream {@link
 * Attempt}s. Every {@code onRequest} runs in order; then every {@code onAttempt}; then the
 * attempt goes upstream ({@link UpstreamCall}), every {@code onResponse} sees its head, and the
 * response is relayed to the agent ({@link Relay}); finally every {@code onEnd}, in reverse
 * order. A step that fails refuses the call with its error, and nothing reaches the upstream
 * unless every earlier step passed. Synchronous steps run back to back without allocating.
 *
 * <p>A route with targets makes one attempt per target, in the order its strategy gives ({@link
 * TargetRouter}), for as long as nothing has reached the agent: a target refused on the way
 * (the policy, a budget, a key the tenant has not stored, an open circuit) is skipped, and one
 * whose upstream fails before answering (no connection, no answer in time, 429, 5xx, 401-403) is
 * left, its response reset unread; each such attempt ends with {@code onAttemptEnd}. The first
 * other answer goes to the agent with {@code X-Keyward-Target}. When none is left: the first
 * target's refusal if the policy refused them all, else {@code 502 all_targets_failed}.
 */
public final class Pipeline implements Handler<HttpServerRequest> {

  private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);

  private final Deadlines deadlines;
  private final PolicyHolder policies;
  private final List<Interceptor> chain;
  private final UpstreamCall upstream;
  private final Relay relay;
  private final TargetRouter router;
  private final Duration maxRequestDuration;

  public Pipeline(Vertx vertx, PolicyHolder policies, List<Interceptor> chain,
      UpstreamCall upstream, Relay relay, TargetRouter router, Duration maxRequestDuration) {
    this.deadlines = new Deadlines(vertx);
    this.policies = policies;
    this.chain = List.copyOf(chain);
    this.upstream = upstream;
    this.relay = relay;
    this.router = router;
    this.maxRequestDuration = maxRequestDuration;
  }

  @Override
  public void handle(HttpServerRequest request) {
    request.pause(); // the body waits until the request is allowed and the upstream is connected
    Call call = new Call(request, RequestIds.fromAgentOrNew(request.getHeader("X-Request-Id")),
        System.nanoTime(), policies.current());
    Deadline deadline = deadlines.after(maxRequestDuration, () -> {
      // Bounds every exchange, streamed or not: closing the connection fails both pipes.
      LOG.atInfo().addKeyValue("request_id", call.requestId())
          .log("request exceeded the maximum duration of {}", maxRequestDuration);
      request.connection().close();
    });
    runRequest(call, 0, deadline);
  }

  /** The {@code onRequest} steps from {@code from}, then the attempt (or the targets). */
  private void runRequest(Call call, int from, Deadline deadline) {
    for (int i = from; i < chain.size(); i++) {
      Future<Void> step;
      try {
        step = chain.get(i).onRequest(call);
      } catch (RuntimeException e) { // a step that throws instead of failing fails all the same
        step = Future.failedFuture(e);
      }
      if (step.failed()) {
        end(call, deadline, refuse(call, step.cause()));
        return;
      }
      if (!step.succeeded()) {
        int next = i + 1;
        step.onComplete(done -> {
          if (done.failed()) {
            end(call, deadline, refuse(call, done.cause()));
          } else {
            runRequest(call, next, deadline);
          }
        });
        return;
      }
    }
    if (call.plan() != null) {
      tryTargets(call, new TargetOrder(router.order(call)), 0, deadline);
      return;
    }
    Attempt attempt = call.through() == null
        ? new Attempt(call.target(), call.credentialId(), call.decision(), call.model())
        : new Attempt(call.through(), call.target(), call.decision(), call.model());
    call.attempt(attempt);
    runAttempt(call, attempt, 0, deadline, null);
  }

  /** The order of a route's targets for one call, and which of them is being tried. */
  private static final class TargetOrder {
    final List<Attempt> order;
    int current;

    TargetOrder(List<Attempt> order) {
      this.order = order;
    }
  }

  /**
   * The {@code onAttempt} steps from {@code from}, then the upstream call and the relay. {@code
   * targets} is null on a route with one upstream.
   */
  private void runAttempt(Call call, Attempt attempt, int from, Deadline deadline,
      TargetOrder targets) {
    for (int i = from; i < chain.size(); i++) {
      Future<Void> step;
      try {
        step = chain.get(i).onAttempt(call, attempt);
      } catch (RuntimeException e) {
        step = Future.failedFuture(e);
      }
      if (step.failed()) {
        notSent(call, attempt, step.cause(), deadline, targets);
        return;
      }
      if (!step.succeeded()) {
        int next = i + 1;
        step.onComplete(done -> {
          if (done.failed()) {
            notSent(call, attempt, done.cause(), deadline, targets);
          } else {
            runAttempt(call, attempt, next, deadline, targets);
          }
        });
        return;
      }
    }
    if (targets != null) {
      sendTarget(call, attempt, deadline, targets);
      return;
    }
    upstream.send(call, attempt)
        .compose(head -> {
          respond(call, attempt, head);
          return relay.relay(call, attempt, head);
        })
        .onComplete(done -> {
          attempt.done();
          end(call, deadline, ended(call, done));
        });
  }

  /** An {@code onAttempt} step refused the attempt: the call, or (with targets) this target. */
  private void notSent(Call call, Attempt attempt, Throwable cause, Deadline deadline,
      TargetOrder targets) {
    if (targets == null) {
      attempt.done();
      end(call, deadline, refuse(call, cause));
      return;
    }
    router.released(call, attempt);
    if (!(cause instanceof ProxyException why)) {
      attempt.done();
      end(call, deadline, refuse(call, cause));
      return;
    }
    attempt.end(Attempt.Ending.SKIPPED, why);
    next(call, attempt, deadline, targets);
  }

  /**
   * Tries the targets from {@code from} on: skips those already refused and those whose circuit
   * is open; starts the first that may go. With none left, refuses the call.
   */
  private void tryTargets(Call call, TargetOrder targets, int from, Deadline deadline) {
    List<Attempt> order = targets.order;
    for (int i = from; i < order.size(); i++) {
      if (call.request().response().closed()) {
        break; // the agent went away: nobody is waiting for another target
      }
      Attempt attempt = order.get(i);
      call.reached(attempt);
      if (attempt.ending() == null && !router.admit(call, attempt)) {
        attempt.end(Attempt.Ending.SKIPPED, AttemptCode.CIRCUIT_OPEN.exception());
      }
      if (attempt.ending() != null) {
        abandon(call, attempt);
        continue;
      }
      targets.current = i;
      call.attempt(attempt);
      runAttempt(call, attempt, 0, deadline, targets);
      return;
    }
    end(call, deadline, refuse(call, noneLeft(call, order)));
  }

  /** Sends one target's attempt; its failure, or an answer that falls back, tries the next. */
  private void sendTarget(Call call, Attempt attempt, Deadline deadline, TargetOrder targets) {
    upstream.send(call, attempt).onComplete(sent -> {
      if (sent.failed()) {
        ProxyException why = sent.cause() instanceof ProxyException e ? e
            : ErrorCode.UPSTREAM_UNREACHABLE.exception();
        router.failed(call, attempt, why);
        attempt.end(why.denial().isPresent() ? Attempt.Ending.SKIPPED : Attempt.Ending.FAILED,
            why);
        next(call, attempt, deadline, targets);
        return;
      }
      HttpClientResponse head = sent.result();
      if (router.answered(call, attempt, head.statusCode())) {
        head.request().reset(); // its body never reaches the agent
        attempt.end(Attempt.Ending.FAILED, AttemptCode.forStatus(head.statusCode()).exception());
        next(call, attempt, deadline, targets);
        return;
      }
      attempt.responseHeaders().put(TargetRouter.TARGET_HEADER, attempt.via().name());
      respond(call, attempt, head);
      relay.relay(call, attempt, head).onComplete(done -> {
        attempt.done();
        if (attempt.brokenMidStream()) {
          router.brokeMidStream(call, attempt);
        }
        end(call, deadline, ended(call, done));
      });
    });
  }

  /** The attempt did not answer: it ends, and the next target is tried. */
  private void next(Call call, Attempt attempt, Deadline deadline, TargetOrder targets) {
    abandon(call, attempt);
    tryTargets(call, targets, targets.current + 1, deadline);
  }

  /** An attempt that did not answer is over: every {@code onAttemptEnd}, in reverse order. */
  private void abandon(Call call, Attempt attempt) {
    for (int i = chain.size() - 1; i >= 0; i--) {
      try {
        chain.get(i).onAttemptEnd(call, attempt);
      } catch (RuntimeException e) {
        LOG.atError().addKeyValue("request_id", call.requestId()).setCause(e)
            .log("an interceptor failed at the end of an attempt");
      }
    }
    attempt.done();
    if (call.attempt() == attempt) {
      call.attempt(null);
    }
  }

  /**
   * Why a call whose targets all ended got no answer: the first target's refusal when the policy
   * refused every one (as a route with one upstream would answer), else {@code
   * all_targets_failed} with what became of each.
   */
  private static ProxyException noneLeft(Call call, List<Attempt> order) {
    List<ProxyError.Attempted> attempts = new ArrayList<>(order.size());
    ProxyException firstRefusal = null;
    boolean allRefused = true;
    StringBuilder message = new StringBuilder("every target of route '")
        .append(call.routeName()).append("' failed or was skipped:");
    for (Attempt attempt : order) {
      ProxyException why = attempt.endedBy();
      if (why == null) {
        continue; // not reached: the agent went away
      }
      String code = why.error().code();
      attempts.add(new ProxyError.Attempted(attempt.via().name(), code,
          attempt.upstreamStatus()));
      message.append(' ').append(attempt.via().name()).append(' ').append(code)
          .append(attempt.upstreamStatus() > 0 ? " (" + attempt.upstreamStatus() + ")" : "")
          .append(',');
      if (why.denial().isPresent()) {
        firstRefusal = firstRefusal == null ? why : firstRefusal;
      } else {
        allRefused = false;
      }
    }
    if (allRefused && firstRefusal != null) {
      return firstRefusal;
    }
    if (!attempts.isEmpty()) {
      message.setLength(message.length() - 1); // the last comma
    }
    return new ProxyException(new ProxyError(ErrorCode.ALL_TARGETS_FAILED.status(),
        ErrorCode.ALL_TARGETS_FAILED.code(), message.toString(), attempts));
  }

  /** How a call whose response was relayed (or failed on the way) ended. */
  private Outcome ended(Call call, AsyncResult<Void> done) {
    return done.failed() ? failed(call, done.cause())
        // Stopped early (the answer passed what its budget reserved): cut, not denied, since the
        // key was used and the provider bills what it generated.
        : call.stoppedBy().map(why -> Outcome.cut(
            call.request().response().getStatusCode(), why))
        .orElseGet(() -> Outcome.served(call.request().response().getStatusCode()));
  }

  private void respond(Call call, Attempt attempt, HttpClientResponse head) {
    attempt.answering();
    for (Interceptor interceptor : chain) {
      interceptor.onResponse(call, attempt, head);
    }
  }

  private Outcome failed(Call call, Throwable failure) {
    if (failure instanceof ProxyException) {
      return refuse(call, failure);
    }
    HttpServerRequest request = call.request();
    if (request.response().headWritten()) {
      // The upstream or the agent broke off mid-stream; the agent's stream has been reset.
      LOG.atInfo().addKeyValue("request_id", call.requestId())
          .log("request ended mid-stream: {}", failure.toString());
      return Outcome.cut(request.response().getStatusCode(),
          ProxyError.of(ErrorCode.UPSTREAM_RESET));
    }
    return refuse(call, failure);
  }

  /** Answers the agent with the error; a body it is still sending is not read. */
  private Outcome refuse(Call call, Throwable failure) {
    ProxyError error;
    Optional<Decision> denial = Optional.empty();
    Map<String, String> headers = Map.of();
    if (failure instanceof ProxyException e) {
      error = e.error();
      denial = e.denial();
      headers = e.headers();
    } else {
      LOG.atError().addKeyValue("request_id", call.requestId()).setCause(failure)
          .log("request failed unexpectedly");
      error = ProxyError.of(ErrorCode.INTERNAL_ERROR);
    }
    HttpServerRequest request = call.request();
    if (!request.isEnded()) {
      // The unread body never goes anywhere; close rather than drain it.
      headers = withHeader(headers, HttpHeaders.CONNECTION.toString(), "close");
      request.resume();
    }
    ErrorResponses.send(request.response(), error, call.requestId(), headers);
    return Outcome.refused(error, denial);
  }

  private static Map<String, String> withHeader(Map<String, String> headers, String name,
      String value) {
    if (headers.isEmpty()) {
      return Map.of(name, value);
    }
    Map<String, String> all = new LinkedHashMap<>(headers);
    all.put(name, value);
    return all;
  }

  private void end(Call call, Deadline deadline, Outcome outcome) {
    deadline.cancel();
    for (int i = chain.size() - 1; i >= 0; i--) {
      try {
        chain.get(i).onEnd(call, outcome);
      } catch (RuntimeException e) {
        LOG.atError().addKeyValue("request_id", call.requestId()).setCause(e)
            .log("an interceptor failed at the end of the call");
      }
    }
  }
}
