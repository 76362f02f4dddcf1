package dev.keyward.proxy.budget;

import dev.keyward.llm.budget.Charge;
import dev.keyward.llm.budget.WorstCase;
import dev.keyward.policies.ApplicableBudget;
import dev.keyward.policies.Budget;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default budget store for one Keyward process: counters in memory, journaled to the data
 * directory ({@link BudgetLedger}). One thread owns the counters: callers queue their request and
 * get a future, answered on their own Vert.x context, so no event loop waits, and no lock is
 * taken. The thread takes what is queued as one batch, decides each request in turn, writes the
 * batch's journal lines in one write (group commit), then answers them: a change is never
 * answered before its line reached the OS. Under load a batch gathers the requests that arrived
 * during the previous write, so writes per request fall as load rises. The journal is forced to
 * the disk once a second.
 */
public final class EmbeddedBudgetStore implements BudgetStore {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedBudgetStore.class);

  static final Duration SYNC_EVERY = Duration.ofSeconds(1);
  /** Requests that may wait for the owner thread; past it they fail as unavailable. */
  static final int QUEUE_CAPACITY = 65_536;
  /** Requests decided, at most, before their batch is written. */
  static final int MAX_BATCH = 1024;

  /** Work for the owner thread: it alone touches the ledger. */
  @FunctionalInterface
  private interface Work<T> {
    T run(BudgetLedger ledger) throws IOException;
  }

  /** One queued request, and where to answer it. */
  private static final class Command<T> {
    final Work<T> work;
    final Promise<T> promise = Promise.promise();
    /** The caller's context, to answer on; null for a caller outside Vert.x. */
    final Context context = Vertx.currentContext();
    /** Closes the ledger: run after the rest of its batch is written, and the last. */
    final boolean stops;
    T result;
    Throwable failure;

    Command(Work<T> work, boolean stops) {
      this.work = work;
      this.stops = stops;
    }

    void run(BudgetLedger ledger) {
      try {
        result = work.run(ledger);
      } catch (IOException | RuntimeException e) {
        failure = e;
      }
    }

    void answer() {
      if (context == null) {
        complete();
      } else {
        context.runOnContext(v -> complete());
      }
    }

    void fail(Throwable e) {
      failure = e;
      answer();
    }
    private void complete() {
      if (failure == null) {
        promise.complete(result);
      } else {
        promise.fail(unavailable(failure));
      }
    }
  }

  private final BudgetLedger ledger;
  private final LinkedBlockingQueue<Command<?>> queue =
      new LinkedBlockingQueue<>(QUEUE_CAPACITY);
  private final Thread owner;
  // Owner-thread state.
  private boolean running = true;
  private long writes;
  /** Set by the owner thread once it has stopped taking requests. */
  private volatile boolean stopped;

  private EmbeddedBudgetStore(BudgetLedger ledger) {
    this.ledger = ledger;
    this.owner = new Thread(this::run, "keyward-budgets");
    owner.setDaemon(true);
    owner.start();
  }

  /**
   * Opens (or creates) the store in {@code dir}. Blocking: call it at start-up, off the event loop.
   *
   * @param holdLease how long a reservation may stay unsettled before it is charged in full;
   *     longer than the longest request
   * @throws IOException when the directory cannot be used, or another process uses it
   */
  public static EmbeddedBudgetStore open(Path dir, Clock clock, Duration holdLease,
      BudgetCounters counters) throws IOException {
    return open(dir, clock, holdLease, counters, LedgerFiles.JournalWriter.FILE);
  }

  /** For tests: {@code writer} writes the journal (and can fail as a full disk does). */
  static EmbeddedBudgetStore open(Path dir, Clock clock, Duration holdLease,
      BudgetCounters counters, LedgerFiles.JournalWriter writer) throws IOException {
    return new EmbeddedBudgetStore(BudgetLedger.open(dir, clock, holdLease, counters, writer));
  }

  @Override
  public Future<Admission> reserve(List<ApplicableBudget> budgets, WorstCase demand) {
    if (budgets.isEmpty()) {
      return Future.succeededFuture(new Admission.Admitted(Reservation.NONE));
    }
    return submit(ledger -> ledger.reserve(budgets, demand));
  }

  @Override
  public Future<Void> settle(Reservation reservation, Charge charge) {
    if (reservation.isEmpty()) {
      return Future.succeededFuture();
    }
    return submit(ledger -> {
      ledger.settle(reservation, charge);
      return null;
    });
  }

  @Override
  public Future<List<BudgetUsage>> usage(List<Budget> budgets) {
    return submit(ledger -> ledger.usage(budgets));
  }

  @Override
  public Future<Void> close() {
    return submit(ledger -> {
      ledger.close();
      return null;
    }, true);
  }

  /** For tests: how many counters are held in memory. */
  int counterCount() throws Exception {
    return call(BudgetLedger::counterCount);
  }

  /** For tests: how many reservations are remembered (open ones, awaiting their settle). */
  int rememberedCount() throws Exception {
    return call(BudgetLedger::openCount);
  }

  /** For tests: how many journal writes were made (one per batch). */
  long writeCount() throws Exception {
    return call(ledger -> writes);
  }

  /** For tests: the counters, holds and open reservations, as text. */
  String describe() throws Exception {
    return call(BudgetLedger::describe);
  }

  /** For tests: stops as a killed process would, without the last snapshot. */
  void crashForTest() throws Exception {
    Future<Void> crashed = submit(ledger -> {
      ledger.abandonForTest();
      return null;
    }, true);
    crashed.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private <T> T call(Work<T> work) throws Exception {
    try {
      return submit(work).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    } catch (TimeoutException e) {
      throw new IllegalStateException("the budget thread did not answer", e);
    }
  }

  private <T> Future<T> submit(Work<T> work) {
    return submit(work, false);
  }

  private <T> Future<T> submit(Work<T> work, boolean stops) {
    Command<T> command = new Command<>(work, stops);
    if (stopped) {
      return Future.failedFuture(new BudgetStoreUnavailableException("the budget store is closed", null));
    }
    if (!queue.offer(command)) {
      return Future.failedFuture(new BudgetStoreUnavailableException(
          "the budget store is overloaded: " + QUEUE_CAPACITY + " requests are waiting", null));
    }
    if (stopped) {
      failQueued(); // the owner stopped meanwhile and will not take it
    }
    return command.promise.future();
  }

  private void failQueued() {
    Command<?> left;
    while ((left = queue.poll()) != null) {
      left.fail(new IOException("the budget store is closed"));
    }
  }

  /** The owner thread: batches of requests, each batch decided, written once, then answered. */
  private void run() {
    List<Command<?>> batch = new ArrayList<>();
    long syncEvery = SYNC_EVERY.toNanos();
    long nextSync = System.nanoTime() + syncEvery;
    while (running) {
      try {
        Command<?> first = queue.poll(Math.max(0, nextSync - System.nanoTime()),
            TimeUnit.NANOSECONDS);
        if (first != null) {
          batch.add(first);
          queue.drainTo(batch, MAX_BATCH - 1);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      Command<?> stop = null;
      for (Command<?> command : batch) {
        if (stop != null) {
          command.failure = new IOException("the budget store is closed");
        } else if (command.stops) {
          stop = command;
        } else {
          command.run(ledger);
        }
      }
      try {
        if (ledger.hasPending()) {
          ledger.commit();
          writes++;
        }
      } catch (IOException | RuntimeException e) {
        for (Command<?> command : batch) {
          if (command != stop) {
            command.failure = e; // memory is back to what the files hold: none of these happened
          }
        }
      }
      for (Command<?> command : batch) {
        if (command != stop) {
          command.answer();
        }
      }
      if (stop != null) {
        running = false;
        stop.run(ledger);
        stop.answer();
      }
      batch.clear();
      if (running && System.nanoTime() - nextSync >= 0) {
        nextSync = System.nanoTime() + syncEvery;
        try {
          ledger.sync();
        } catch (IOException e) {
          LOG.warn("cannot force the budget journal to the disk; will try again: {}",
              e.getMessage());
        }
      }
    }
    stopped = true;
    failQueued();
  }

  private static Throwable unavailable(Throwable e) {
    return e instanceof IOException ? new BudgetStoreUnavailableException(
        "the budget files cannot be written: " + e.getMessage(), e) : e;
  }
}
