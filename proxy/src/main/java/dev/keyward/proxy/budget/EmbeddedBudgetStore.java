package dev.keyward.proxy.budget;

import dev.keyward.llm.budget.Charge;
import dev.keyward.llm.budget.WorstCase;
import dev.keyward.policies.ApplicableBudget;
import dev.keyward.policies.Budget;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The default budget store for one Keyward process: counters in memory, journaled to the data
 * directory ({@link BudgetLedger}). The journal write of each change runs on a worker thread and
 * the answer comes back on the caller's context, so event loops never touch the disk. The
 * journal is forced to the disk once a second.
 */
public final class EmbeddedBudgetStore implements BudgetStore {

  static final Duration SYNC_EVERY = Duration.ofSeconds(1);

  private final Vertx vertx;
  private final BudgetLedger ledger;
  private final long syncTimer;

  private EmbeddedBudgetStore(Vertx vertx, BudgetLedger ledger) {
    this.vertx = vertx;
    this.ledger = ledger;
    this.syncTimer = vertx.setPeriodic(SYNC_EVERY.toMillis(),
        id -> vertx.executeBlocking(() -> {
          ledger.sync();
          return null;
        }, false));
  }

  /**
   * Opens (or creates) the store in {@code dir}. Blocking: call it at start-up, off the event loop.
   *
   * @param holdLease how long a reservation may stay unsettled before it is charged in full;
   *     longer than the longest request
   * @throws IOException when the directory cannot be used, or another process uses it
   */
  public static EmbeddedBudgetStore open(Vertx vertx, Path dir, Clock clock, Duration holdLease,
      BudgetCounters counters) throws IOException {
    return open(vertx, dir, clock, holdLease, counters, LedgerFiles.JournalWriter.FILE);
  }

  /** For tests: {@code writer} writes the journal (and can fail as a full disk does). */
  static EmbeddedBudgetStore open(Vertx vertx, Path dir, Clock clock, Duration holdLease,
      BudgetCounters counters, LedgerFiles.JournalWriter writer) throws IOException {
    return new EmbeddedBudgetStore(vertx,
        BudgetLedger.open(dir, clock, holdLease, counters, writer));
  }

  @Override
  public Future<Admission> reserve(List<ApplicableBudget> budgets, WorstCase demand) {
    if (budgets.isEmpty()) {
      return Future.succeededFuture(new Admission.Admitted(Reservation.NONE));
    }
    return onWorker(() -> ledger.reserve(budgets, demand));
  }

  @Override
  public Future<Void> settle(Reservation reservation, Charge charge) {
    if (reservation.isEmpty()) {
      return Future.succeededFuture();
    }
    return onWorker(() -> {
      ledger.settle(reservation, charge);
      return null;
    });
  }

  @Override
  public Future<List<BudgetUsage>> usage(List<Budget> budgets) {
    return onWorker(() -> ledger.usage(budgets));
  }

  @Override
  public Future<Void> close() {
    vertx.cancelTimer(syncTimer);
    return onWorker(() -> {
      ledger.close();
      return null;
    });
  }

  /** For tests: how many counters are held in memory. */
  int counterCount() {
    return ledger.counterCount();
  }

  /** For tests: how many settled reservations are remembered. */
  int settledCount() {
    return ledger.settledCount();
  }

  /** For tests: stops as a killed process would, without the last snapshot. */
  void crashForTest() throws IOException {
    vertx.cancelTimer(syncTimer);
    ledger.abandonForTest();
  }

  private <T> Future<T> onWorker(Callable<T> work) {
    return vertx.<T>executeBlocking(work, false).recover(e -> Future.failedFuture(
        e instanceof IOException ? new BudgetStoreUnavailableException(
            "the budget files cannot be written: " + e.getMessage(), e) : e));
  }
}
