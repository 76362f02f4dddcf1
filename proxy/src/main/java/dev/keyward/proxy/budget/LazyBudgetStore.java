package dev.keyward.proxy.budget;

import dev.keyward.llm.budget.Charge;
import dev.keyward.llm.budget.WorstCase;
import dev.keyward.policies.ApplicableBudget;
import dev.keyward.policies.Budget;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * A budget store opened when it is first needed: a Keyward whose policy has no budget opens none
 * (no {@code budgets/} directory, no lock on it, no Redis client), and one whose policy gains a
 * budget on reload opens it then, on a worker thread. {@link #openNow()} opens it at start-up, so
 * that a policy with budgets finds a store it cannot use (another process holds the embedded
 * directory) before anything listens.
 *
 * <p>A failed open fails the budget checks of that moment (as an unavailable store does) and is
 * tried again at most every {@link #RETRY_OPEN}, so a request never waits on a failing disk twice
 * in a row.
 */
final class LazyBudgetStore implements BudgetStore {

  static final Duration RETRY_OPEN = Duration.ofSeconds(10);

  private final Vertx vertx;
  private final Callable<BudgetStore> opener;
  private final Clock clock;
  /** Once open, used directly: no lock and no future on the way to it. */
  private volatile BudgetStore opened;
  private boolean closed;
  /** The open in progress; null when none is. */
  private Future<BudgetStore> opening;
  private Instant failedAt;
  private Throwable failure;

  LazyBudgetStore(Vertx vertx, Callable<BudgetStore> opener, Clock clock) {
    this.vertx = vertx;
    this.opener = opener;
    this.clock = clock;
  }

  /** Opens the store now, blocking: at start-up, off the event loop. */
  synchronized void openNow() throws Exception {
    opened = opener.call();
  }

  /**
   * The store, on the caller's own context: a store opened on first need answers the request
   * that waited for it on that request's event loop, not on the loop that happened to open it.
   */
  private Future<BudgetStore> store() {
    BudgetStore store = opened;
    if (store != null) {
      return Future.succeededFuture(store);
    }
    Future<BudgetStore> pending = opening();
    Context context = Vertx.currentContext();
    return context == null ? pending
        : Future.fromCompletionStage(pending.toCompletionStage(), context);
  }

  private synchronized Future<BudgetStore> opening() {
    if (opened != null) {
      return Future.succeededFuture(opened);
    }
    if (closed) {
      return Future.failedFuture(new BudgetStoreUnavailableException("Keyward is stopping", null));
    }
    if (opening != null) {
      return opening;
    }
    if (failedAt != null && clock.instant().isBefore(failedAt.plus(RETRY_OPEN))) {
      return Future.failedFuture(failure);
    }
    Future<BudgetStore> attempt = vertx.executeBlocking(opener, false);
    opening = attempt;
    attempt.onComplete(done -> opened(attempt, done.result(), done.cause()));
    return attempt.recover(e -> Future.failedFuture(new BudgetStoreUnavailableException(
        "the budget store cannot be opened: " + e.getMessage(), e)));
  }

  private synchronized void opened(Future<BudgetStore> attempt, BudgetStore store,
      Throwable error) {
    if (opening != attempt) {
      return;
    }
    opening = null;
    if (store == null) {
      failedAt = clock.instant();
      failure = new BudgetStoreUnavailableException(
          "the budget store cannot be opened: " + error.getMessage(), error);
    } else if (closed) {
      store.close(); // opened while Keyward was stopping
    } else {
      opened = store;
    }
  }

  @Override
  public Future<Admission> reserve(List<ApplicableBudget> budgets, WorstCase demand) {
    if (budgets.isEmpty()) {
      return Future.succeededFuture(new Admission.Admitted(Reservation.NONE));
    }
    return store().compose(s -> s.reserve(budgets, demand));
  }

  @Override
  public Future<Void> settle(Reservation reservation, Charge charge) {
    if (reservation.isEmpty()) {
      return Future.succeededFuture();
    }
    return store().compose(s -> s.settle(reservation, charge));
  }

  @Override
  public Future<List<BudgetUsage>> usage(List<Budget> budgets) {
    if (budgets.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    return store().compose(s -> s.usage(budgets));
  }

  @Override
  public Future<Void> close() {
    BudgetStore store;
    synchronized (this) {
      closed = true;
      store = opened;
      opened = null;
    }
    return store == null ? Future.succeededFuture() : store.close();
  }
}
