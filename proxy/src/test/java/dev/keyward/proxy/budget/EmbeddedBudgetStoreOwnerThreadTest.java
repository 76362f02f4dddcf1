package dev.keyward.proxy.budget;

import static dev.keyward.proxy.budget.Budgets.DOLLAR;
import static dev.keyward.proxy.budget.Budgets.await;
import static dev.keyward.proxy.budget.Budgets.costing;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.keyward.llm.budget.Charge;
import dev.keyward.vault.MutableClock;
import io.vertx.core.Future;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Failure modes of the embedded store's owner thread and of its queue. */
class EmbeddedBudgetStoreOwnerThreadTest {

  private static final Duration LEASE = BudgetStoreContract.LEASE;
  private final MutableClock clock = new MutableClock(BudgetStoreContract.START);
  private final BudgetCounters counters = new BudgetCounters();

  @TempDir Path dir;

  private static Throwable failureWithin(Future<?> future, long seconds) throws Exception {
    try {
      future.toCompletionStage().toCompletableFuture().get(seconds, TimeUnit.SECONDS);
      return fail("expected a failure, got an answer");
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (TimeoutException e) {
      return fail("no answer within " + seconds + " s: the request hangs");
    }
  }

  /**
   * An Error on the owner thread (here an OutOfMemoryError from the journal write) stops the
   * store: the request in that batch and every later one fail as unavailable instead of hanging,
   * the gate reports the store down (/readyz), and the directory is let go.
   */
  @Test
  void anErrorOnTheOwnerThreadFailsRequestsInsteadOfHangingThem() throws Exception {
    AtomicBoolean boom = new AtomicBoolean();
    EmbeddedBudgetStore store = EmbeddedBudgetStore.open(dir, clock, LEASE, counters,
        (journal, buffer) -> {
          if (boom.getAndSet(false)) {
            throw new OutOfMemoryError("simulated: Java heap space");
          }
          return journal.write(buffer);
        });
    await(store.reserve(Budgets.monthly(), costing(DOLLAR / 10)));
    boom.set(true);
    Throwable inBatch = failureWithin(store.reserve(Budgets.monthly(), costing(DOLLAR / 10)), 5);
    assertInstanceOf(BudgetStoreUnavailableException.class, inBatch);
    Throwable later = failureWithin(store.reserve(Budgets.monthly(), costing(DOLLAR / 10)), 5);
    assertInstanceOf(BudgetStoreUnavailableException.class, later);
    assertTrue(later.getMessage().contains("OutOfMemoryError"), later.getMessage());

    BudgetGate gate = new BudgetGate(store, counters);
    assertInstanceOf(BudgetDecision.Unavailable.class,
        await(gate.reserve(Budgets.monthly(), costing(DOLLAR / 10))));
    assertFalse(gate.storeAvailable());
    assertInstanceOf(BudgetStoreUnavailableException.class, failureWithin(store.close(), 5));

    EmbeddedBudgetStore next = EmbeddedBudgetStore.open(dir, clock, LEASE, counters);
    await(next.close());
  }

  /**
   * While the owner thread is slow (a stalled write), a flood of reserves fills their bound: one
   * more reserve is refused as overloaded, but the settle of a finished call, a usage read and
   * close() are still taken, and the settle counts.
   */
  @Test
  void aFloodOfReservesDoesNotCrowdOutTheSettleOfAFinishedCall() throws Exception {
    CountDownLatch stalled = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean stall = new AtomicBoolean();
    EmbeddedBudgetStore store = EmbeddedBudgetStore.open(dir, clock, LEASE, counters,
        (journal, buffer) -> {
          if (stall.getAndSet(false)) {
            stalled.countDown();
            try {
              release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          return journal.write(buffer);
        });
    Future<Void> settle;
    Future<List<BudgetUsage>> usage;
    Future<Void> closed;
    List<Future<Admission>> flood = new ArrayList<>();
    try {
      Admission admission = await(store.reserve(Budgets.monthly(), costing(DOLLAR / 10)));
      Reservation finished = ((Admission.Admitted) admission).reservation();
      stall.set(true);
      flood.add(store.reserve(Budgets.monthly(), costing(1))); // its write stalls the owner
      assertTrue(stalled.await(30, TimeUnit.SECONDS));
      for (int i = 0; i < EmbeddedBudgetStore.QUEUE_CAPACITY; i++) {
        flood.add(store.reserve(Budgets.monthly(), costing(1)));
      }
      Future<Admission> overflow = store.reserve(Budgets.monthly(), costing(1));
      assertTrue(overflow.failed(), "a reserve past the bound is refused at once");
      assertTrue(overflow.cause().getMessage().contains("overloaded"));
      settle = store.settle(finished, new Charge(DOLLAR / 100, 0));
      usage = store.usage(Budgets.POLICY.budgets());
      closed = store.close();
      assertFalse(settle.failed(), () -> "the settle was refused: " + settle.cause());
      assertFalse(usage.failed(), () -> "the usage read was refused: " + usage.cause());
      assertFalse(closed.failed(), () -> "close() was refused: " + closed.cause());
    } finally {
      release.countDown();
    }
    await(settle);
    await(usage);
    await(closed);
    for (Future<Admission> admitted : flood) {
      assertInstanceOf(Admission.Admitted.class, await(admitted));
    }

    EmbeddedBudgetStore reopened = EmbeddedBudgetStore.open(dir, clock, LEASE, counters);
    try {
      BudgetUsage spent = await(reopened.usage(Budgets.POLICY.budgets())).stream()
          .filter(u -> u.budget().equals("acme-monthly")).findFirst().orElseThrow();
      // the settled call at its charge; the flood's holds of the closed process in full
      assertEquals(DOLLAR / 100 + flood.size(), spent.spentNanoUsd());
    } finally {
      await(reopened.close());
    }
  }

  /**
   * A write cut part-way (a full disk) whose cut-back fails too leaves part of an unanswered batch
   * in the journal: the store stops rather than go on with memory ahead of its files, and the next
   * start reads what was answered.
   */
  @Test
  void aFailedWriteThatCannotBeCutBackStopsTheStore() throws Exception {
    AtomicBoolean broken = new AtomicBoolean();
    EmbeddedBudgetStore store = EmbeddedBudgetStore.open(dir, clock, LEASE, counters,
        new LedgerFiles.JournalWriter() {
          @Override
          public int write(FileChannel journal, ByteBuffer buffer) throws IOException {
            if (!broken.get()) {
              return journal.write(buffer);
            }
            ByteBuffer half = buffer.duplicate();
            half.limit(half.position() + half.remaining() / 2);
            buffer.position(buffer.position() + journal.write(half));
            throw new IOException("No space left on device");
          }

          @Override
          public void truncate(FileChannel journal, long size) throws IOException {
            if (broken.getAndSet(false)) {
              throw new IOException("Input/output error");
            }
            journal.truncate(size);
          }
        });
    await(store.reserve(Budgets.monthly(), costing(DOLLAR / 10)));
    broken.set(true);
    assertInstanceOf(BudgetStoreUnavailableException.class,
        failureWithin(store.reserve(Budgets.monthly(), costing(DOLLAR / 2)), 5));
    Throwable later = failureWithin(store.reserve(Budgets.monthly(), costing(DOLLAR / 4)), 5);
    assertInstanceOf(BudgetStoreUnavailableException.class, later);
    assertTrue(later.getMessage().contains("could not be cut back"), later.getMessage());

    EmbeddedBudgetStore next = EmbeddedBudgetStore.open(dir, clock, LEASE, counters);
    try {
      BudgetUsage usage = await(next.usage(Budgets.POLICY.budgets())).stream()
          .filter(u -> u.budget().equals("acme-monthly")).findFirst().orElseThrow();
      assertEquals(DOLLAR / 10, usage.spentNanoUsd()); // the answered hold, charged in full
    } finally {
      await(next.close());
    }
  }
}
