package dev.keyward.proxy.budget;

import dev.keyward.llm.budget.Charge;
import dev.keyward.llm.budget.WorstCase;
import dev.keyward.policies.ApplicableBudget;
import dev.keyward.policies.Budget;
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
  /** The open (or opening) store; null until first needed, or after a failure to retry. */
  private Future<BudgetStore> store;
  private Instant failedAt;
  private Throwable failure;

  LazyBudgetStore(Vertx vertx, Callable<BudgetStore> opener, Clock clock) {
    this.vertx = vertx;
    this.opener = opener;
    this.clock = clock;
  }

  /** Opens the store now, blocking: at start-up, off the event loop. */
  synchronized void openNow() throws Exception {
    store = Future.succeededFuture(opener.call());
  }

  private synchronized Future<BudgetStore> store() {
    if (store != null) {
      return store;
    }
    Instant now = clock.instant();
    if (failedAt != null && now.isBefore(failedAt.plus(RETRY_OPEN))) {
      return Future.failedFuture(failure);
    }
    Future<BudgetStore> opening = vertx.executeBlocking(opener, false)
        .recover(e -> Future.failedFuture(new BudgetStoreUnavailableException(
            "the budget store cannot be opened: " + e.getMessage(), e)));
    store = opening;
    opening.onFailure(e -> failed(opening, e));
    return opening;
  }

  private synchronized void failed(Future<BudgetStore> opening, Throwable e) {
    if (store == opening) {
      store = null;
      failedAt = clock.instant();
      failure = e;
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
  public synchronized Future<Void> close() {
    Future<BudgetStore> opened = store;
    store = Future.failedFuture(new BudgetStoreUnavailableException("Keyward is stopping", null));
    return opened == null ? Future.succeededFuture()
        : opened.compose(BudgetStore::close, e -> Future.succeededFuture());
  }
}
