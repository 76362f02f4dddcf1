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
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default budget store for one Keyward process: counters in memory, journaled to the data
 * directory ({@link BudgetLedger}). One thread owns the counters: callers queue their request and
 * get a future, answered on their own Vert.x context (a settle, which nobody waits for, on the
 * owner thread), so no event loop waits, and no lock is taken. The thread takes what is queued as one batch, decides each request in turn, writes the
 * batch's journal lines in one write (group commit), then answers them: a change is never
 * answered before its line reached the OS. Under load a batch gathers the requests that arrived
 * during the previous write, so writes per request fall as load rises. When that write fails, the
 * whole batch (up to {@link #MAX_BATCH} requests) fails and the journal is cut back to where the
 * batch began. The journal is forced to the disk once a second.
 *
 * <p>Only new admissions are bounded: at most {@link #QUEUE_CAPACITY} reserves wait, and one more
 * fails at once as overloaded ({@code 503 budget_unavailable}). Settles, releases and usage reads
 * are always taken (settles are bounded by the reservations in flight), so a flood of reserves
 * never gets the settle of a finished call refused, nor {@link #close}.
 *
 * <p>If the owner thread meets an {@link Error} (an {@link OutOfMemoryError} in a request or in
 * the journal write), or a failed journal write cannot be cut back (the files would then hold
 * part of a batch that memory does not), the store stops for good: every request it had not answered, and every
 * later one, fails with {@link BudgetStoreUnavailableException}, and the files are let go as a
 * killed process would. Keyward must be restarted to count again.
 */
public final class EmbeddedBudgetStore implements BudgetStore {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedBudgetStore.class);

  static final Duration SYNC_EVERY = Duration.ofSeconds(1);
  /** Reserves that may wait for the owner thread; past it they fail as overloaded. */
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
    /** The context to answer on; null to answer on the store's thread. */
    final Context context;
    /** Closes the ledger: run after the rest of its batch is written, and the last. */
    final boolean stops;
    /** A reserve: counts against {@link #QUEUE_CAPACITY} while it waits. */
    final boolean admits;
    T result;
    Throwable failure;
    boolean answered;

    Command(Work<T> work, boolean stops, boolean admits, Context context) {
      this.work = work;
      this.context = context;
      this.stops = stops;
      this.admits = admits;
    }

    /** Runs the work; an {@link Error} is not caught: it stops the store. */
    void run(BudgetLedger ledger) {
      try {
        result = work.run(ledger);
      } catch (IOException | RuntimeException e) {
        failure = e;
      }
    }

    void answer() {
      answered = true;
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
        promise.tryComplete(result);
      } else {
        promise.tryFail(unavailable(failure));
      }
    }
  }

  private final BudgetLedger ledger;
  /** Unbounded: only reserves are bounded, by {@link #waitingReserves}. */
  private final LinkedBlockingQueue<Command<?>> queue = new LinkedBlockingQueue<>();
  /** Reserves queued and not yet taken by the owner thread. */
  private final AtomicInteger waitingReserves = new AtomicInteger();
  private final Thread owner;
  // Owner-thread state.
  private boolean running = true;
  private long writes;
  /** The close (or test crash) asked for; set once, and then every new request is refused. */
  private volatile Command<Void> stopper;
  /** Set by the owner thread once it has stopped taking requests. */
  private volatile boolean stopped;
  /** Why requests are refused once stopped. */
  private volatile String stoppedBecause = "the budget store is closed";

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
    return submit(ledger -> ledger.reserve(budgets, demand), true, Vertx.currentContext());
  }

  @Override
  public Future<Void> settle(Reservation reservation, Charge charge) {
    if (reservation.isEmpty()) {
      return Future.succeededFuture();
    }
    // Answered on the store's thread: nobody waits for a settle, and answering on the caller's
    // context would wake its event loop once more per request for nothing.
    return submit(ledger -> {
      ledger.settle(reservation, charge);
      return null;
    }, false, null);
  }

  @Override
  public Future<List<BudgetUsage>> usage(List<Budget> budgets) {
    return submit(ledger -> ledger.usage(budgets));
  }

  /**
   * Writes a last snapshot once the requests queued before it are answered. Never refused as
   * overloaded: it is a flag and a wake-up of the owner thread, not a bounded request. Calling it
   * again returns the same answer.
   */
  @Override
  public Future<Void> close() {
    return stop(ledger -> {
      ledger.close();
      return null;
    });
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
    Future<Void> crashed = stop(ledger -> {
      ledger.abandon();
      return null;
    });
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
    return submit(work, false, Vertx.currentContext());
  }

  /** Queues {@code work}; its answer comes on {@code context} (null: on the store's thread). */
  private <T> Future<T> submit(Work<T> work, boolean admits, Context context) {
    if (stopped || stopper != null) {
      return Future.failedFuture(new BudgetStoreUnavailableException(stoppedBecause, null));
    }
    if (admits && waitingReserves.incrementAndGet() > QUEUE_CAPACITY) {
      waitingReserves.decrementAndGet();
      return Future.failedFuture(new BudgetStoreUnavailableException(
          "the budget store is overloaded: " + QUEUE_CAPACITY + " reserves are waiting", null));
    }
    Command<T> command = new Command<>(work, false, admits, context);
    queue.add(command);
    if (stopped) {
      failQueued(); // the owner stopped meanwhile and will not take it
    }
    return command.promise.future();
  }

  /** Asks the owner thread, once, to run {@code work} last; the queue is unbounded: never refused. */
  private synchronized Future<Void> stop(Work<Void> work) {
    if (stopper == null) {
      Command<Void> command = new Command<>(work, true, false, Vertx.currentContext());
      stopper = command;
      queue.add(command); // also wakes the owner thread
      if (stopped) {
        failQueued();
      }
    }
    return stopper.promise.future();
  }

  private void failQueued() {
    Command<?> left;
    while ((left = queue.poll()) != null) {
      if (left.admits) {
        waitingReserves.decrementAndGet();
      }
      left.fail(new BudgetStoreUnavailableException(stoppedBecause, null));
    }
  }

  /**
   * The owner thread. Whatever ends it (a close, an interrupt, an {@link Error}), no request is
   * left unanswered: those of the batch in hand and those queued fail as unavailable.
   */
  private void run() {
    List<Command<?>> batch = new ArrayList<>();
    Throwable fatal = null;
    try {
      serve(batch);
    } catch (Throwable e) {
      fatal = e;
      LOG.error("the budget store stopped (an internal error, or a journal it could not cut back):"
          + " budgeted requests now fail with 503 budget_unavailable (or pass uncounted, for"
          + " on_store_failure: allow) until Keyward restarts", e);
    } finally {
      if (fatal != null) {
        stoppedBecause = "the budget store stopped (" + fatal + "); restart Keyward";
      }
      stopped = true;
      if (running) { // not stopped by close(): let go of the files as a killed process would
        try {
          ledger.abandon();
        } catch (Throwable e) {
          LOG.warn("cannot release the budget files: {}", e.toString());
        }
      }
      for (Command<?> command : batch) { // answered once the files are let go
        if (!command.answered) {
          command.fail(new BudgetStoreUnavailableException(stoppedBecause, fatal));
        }
      }
      failQueued();
    }
  }

  /** Batches of requests, each batch decided, written once, then answered, until a close. */
  private void serve(List<Command<?>> batch) throws IOException {
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
        return;
      }
      Command<?> stop = null;
      int reserves = 0;
      for (Command<?> command : batch) {
        if (command.admits) {
          reserves++;
        }
      }
      if (reserves > 0) {
        waitingReserves.addAndGet(-reserves);
      }
      for (Command<?> command : batch) {
        if (stop != null) {
          command.failure = new BudgetStoreUnavailableException("the budget store is closed", null);
        } else if (command.stops) {
          stop = command;
        } else {
          command.run(ledger);
        }
      }
      LedgerFiles.CutBackFailed journalStuck = null;
      try {
        if (ledger.hasPending()) {
          ledger.commit();
          writes++;
        }
      } catch (IOException | RuntimeException e) {
        // The whole batch fails: memory is back to what the files hold, none of these happened.
        for (Command<?> command : batch) {
          if (command != stop) {
            command.failure = e;
          }
        }
        if (e instanceof LedgerFiles.CutBackFailed stuck) {
          journalStuck = stuck;
        }
      }
      for (Command<?> command : batch) {
        if (command != stop) {
          command.answer();
        }
      }
      if (journalStuck != null) {
        throw journalStuck; // memory is ahead of the files, which take no more: stop
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
  }

  private static Throwable unavailable(Throwable e) {
    return e instanceof IOException ? new BudgetStoreUnavailableException(
        "the budget files cannot be written: " + e.getMessage(), e) : e;
  }
}
