package dev.keyward.proxy.budget;

import dev.keyward.llm.budget.Charge;
import dev.keyward.llm.budget.WorstCase;
import dev.keyward.policies.ApplicableBudget;
import dev.keyward.policies.Budget;
import dev.keyward.policies.OnStoreFailure;
import io.vertx.core.Future;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.PromiseInternal;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one entry to budgets: the request path reserves before forwarding and settles when the call
 * ends; operators and the gauges read usage. It turns the store's answers and failures into a
 * {@link BudgetDecision}, applies each budget's {@code on_store_failure}, counts every outcome,
 * and knows whether the store was reachable last time it was asked ({@code /readyz}).
 */
public final class BudgetGate {

  private static final Logger LOG = LoggerFactory.getLogger(BudgetGate.class);

  /**
   * The longest a request waits for its reservation: a backstop, so that no request waits forever
   * on a store that stopped answering. Far above a healthy store's answer (the embedded store
   * answers within one journal write; Redis fails first, at {@code budgets.redis.timeout}, 1 s
   * by default); past it, the store counts as unavailable.
   */
  public static final Duration RESERVE_DEADLINE = Duration.ofSeconds(10);

  private final BudgetStore store;
  private final Duration reserveDeadline;
  private final BudgetCounters counters;
  /** Null while the store answers; the last failure's message while it does not. */
  private final AtomicReference<String> storeFailure = new AtomicReference<>();
  /** Settles sent to the store and not answered yet (shutdown waits on {@code this}). */
  private final AtomicInteger settling = new AtomicInteger();

  public BudgetGate(BudgetStore store, BudgetCounters counters) {
    this(store, counters, RESERVE_DEADLINE);
  }

  /** For tests: a shorter deadline on reserves. */
  BudgetGate(BudgetStore store, BudgetCounters counters, Duration reserveDeadline) {
    this.store = store;
    this.counters = counters;
    this.reserveDeadline = reserveDeadline;
  }

  public BudgetCounters counters() {
    return counters;
  }

  /**
   * Never fails: a store failure becomes {@link BudgetDecision.Unavailable} or an allowance, and
   * so does a store that does not answer within {@link #RESERVE_DEADLINE} (a reservation it still
   * makes after that is released).
   */
  public Future<BudgetDecision> reserve(List<ApplicableBudget> budgets, WorstCase demand) {
    if (budgets.isEmpty()) {
      return Future.succeededFuture(new BudgetDecision.Admitted(Reservation.NONE));
    }
    Future<Admission> answer = store.reserve(budgets, demand);
    if (!answer.isComplete()) {
      answer = withDeadline(answer);
    }
    return answer.map(admission -> {
      storeFailure.set(null);
      if (admission instanceof Admission.Refused refused) {
        counters.refused(refused.refusal().errorCode());
        return (BudgetDecision) new BudgetDecision.Refused(refused.refusal());
      }
      counters.admitted();
      return new BudgetDecision.Admitted(((Admission.Admitted) admission).reservation());
    }).otherwise(e -> storeDown(budgets, e));
  }

  /**
   * The answer, or a failure once {@link #reserveDeadline} has passed. Bound to the caller's
   * context first, so that the deadline is set and fires on the caller's event loop (a future
   * without a context would time out on a shared Netty thread, and go on there).
   */
  private Future<Admission> withDeadline(Future<Admission> answer) {
    ContextInternal context = ContextInternal.current();
    Future<Admission> bound = answer;
    if (context != null) {
      PromiseInternal<Admission> promise = context.promise();
      answer.onComplete(promise);
      bound = promise.future();
    }
    return bound.timeout(reserveDeadline.toMillis(), TimeUnit.MILLISECONDS).recover(e -> {
      if (!(e instanceof TimeoutException)) {
        return Future.failedFuture(e);
      }
      answer.onSuccess(late -> { // nobody waits for it any more: give it back
        if (late instanceof Admission.Admitted admitted) {
          store.release(admitted.reservation());
        }
      });
      return Future.failedFuture(new BudgetStoreUnavailableException("the budget store did not"
          + " answer a reserve within " + reserveDeadline.toMillis() + " ms", e));
    });
  }

  /**
   * Settles an admitted request to its metered charge (the estimate, for a cut stream); does
   * nothing for any other decision, or the second time. Never fails: when the store cannot take
   * the settle, the hold stays and is charged in full at the end of its lease; the failure is
   * logged and counted.
   */
  public Future<Void> settle(BudgetDecision decision, Charge charge) {
    if (!(decision instanceof BudgetDecision.Admitted admitted) || !admitted.end()
        || admitted.reservation().isEmpty()) {
      return Future.succeededFuture();
    }
    settling.incrementAndGet();
    return store.settle(admitted.reservation(), charge).onSuccess(v -> storeFailure.set(null))
        .onComplete(done -> finished())
        .recover(e -> {
          counters.settleFailed();
          storeFailure.set(describe(e));
          LOG.warn("budget settle failed for reservation {}; its hold is charged in full when"
              + " its lease ends: {}", admitted.reservation().id(), e.getMessage());
          return Future.succeededFuture();
        });
  }

  /** Gives back the reservation of a request that never reached the upstream. */
  public Future<Void> release(BudgetDecision decision) {
    return settle(decision, Charge.NOTHING);
  }

  private void finished() {
    if (settling.decrementAndGet() == 0) {
      synchronized (this) {
        notifyAll();
      }
    }
  }

  /**
   * Waits, at most {@code bound}, for the settles in flight to be answered: at shutdown, before
   * the store closes, so that the calls that ended last are not charged their worst case at the
   * next start. Blocking.
   *
   * @return true when none is left
   */
  public synchronized boolean awaitSettles(Duration bound) throws InterruptedException {
    long deadline = System.nanoTime() + bound.toNanos();
    while (settling.get() > 0) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return true;
  }

  /** A failure's message, never null: null means "available" to {@code /readyz}. */
  private static String describe(Throwable e) {
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  /**
   * For operators and the usage gauges: per budget, every subject with counters in the current
   * window (spend and holds against the limit, the reset, this minute's requests and tokens).
   * Fails with {@link BudgetStoreUnavailableException} when the store cannot be read; that counts
   * as a store failure, and an answer as the store being back.
   */
  public Future<List<BudgetUsage>> usage(List<Budget> budgets) {
    if (budgets.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    return store.usage(budgets).onSuccess(rows -> storeFailure.set(null)).onFailure(e -> {
      counters.usageFailed();
      storeFailure.set(describe(e));
    });
  }

  /** False after a store call failed, until one succeeds again. */
  public boolean storeAvailable() {
    return storeFailure.get() == null;
  }

  /** Why the store counts as unavailable, for {@code /readyz}; null when it is available. */
  public String storeFailure() {
    return storeFailure.get();
  }

  private BudgetDecision storeDown(List<ApplicableBudget> budgets, Throwable e) {
    counters.reserveFailed();
    storeFailure.set(describe(e));
    List<String> closed = budgets.stream()
        .filter(b -> b.budget().onStoreFailure() == OnStoreFailure.DENY)
        .map(ApplicableBudget::name).toList();
    String reason = "the budget store is unavailable";
    if (closed.isEmpty()) {
      counters.allowedUncounted();
      LOG.warn("{}; allowed uncounted by on_store_failure: allow: {}", reason, e.getMessage());
      return new BudgetDecision.AllowedUncounted(
          budgets.stream().map(ApplicableBudget::name).toList(), reason);
    }
    counters.unavailable();
    LOG.warn("{}; refused (budgets {}): {}", reason, closed, e.getMessage());
    return new BudgetDecision.Unavailable(closed, reason);
  }
}
