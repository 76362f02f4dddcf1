package dev.keyward.proxy.budget;

import static dev.keyward.proxy.budget.Budgets.DOLLAR;
import static dev.keyward.proxy.budget.Budgets.await;
import static dev.keyward.proxy.budget.Budgets.costing;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.llm.budget.Charge;
import dev.keyward.llm.budget.WorstCase;
import dev.keyward.policies.ApplicableBudget;
import dev.keyward.policies.PolicySet;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedBudgetStoreTest extends BudgetStoreContract {

  @TempDir Path dir;
  private Vertx vertx;
  private EmbeddedBudgetStore store;

  @BeforeEach
  void open() throws IOException {
    vertx = Vertx.vertx();
    store = EmbeddedBudgetStore.open(dir, clock, LEASE, counters);
  }

  @AfterEach
  void close() throws Exception {
    if (store != null) {
      await(store.close());
    }
    await(vertx.close());
  }

  @Override
  BudgetStore store() {
    return store;
  }

  private void restart() throws Exception {
    await(store.close());
    store = null;
    store = EmbeddedBudgetStore.open(dir, clock, LEASE, counters);
  }

  private void crashAndRestart() throws Exception {
    store.crashForTest();
    store = null;
    store = EmbeddedBudgetStore.open(dir, clock, LEASE, counters);
  }

  /**
   * A reserve is waited for on the event loop; a settle is not, so its answer does not come back
   * as one more task on the loop: it is answered on the store's thread (or was already answered
   * when the caller looked).
   */
  @Test
  void aReserveIsAnsweredOnTheCallersEventLoopAndASettleOnTheStoresThread() throws Exception {
    CompletableFuture<String> reservedOn = new CompletableFuture<>();
    CompletableFuture<String> settledOn = new CompletableFuture<>();
    vertx.runOnContext(start -> store.reserve(Budgets.monthly(), costing(DOLLAR / 10))
        .onComplete(reserved -> {
          reservedOn.complete(Thread.currentThread().getName());
          Admission.Admitted admitted = (Admission.Admitted) reserved.result();
          Future<Void> settle = store.settle(admitted.reservation(), new Charge(DOLLAR / 10, 0));
          AtomicBoolean attaching = new AtomicBoolean(true);
          // Run inside onComplete itself when the store answered already: no task either.
          settle.onComplete(settled -> settledOn.complete(
              attaching.get() ? "answered already" : Thread.currentThread().getName()));
          attaching.set(false);
        }));
    assertTrue(reservedOn.get(10, TimeUnit.SECONDS).startsWith("vert.x-eventloop-thread-"));
    assertTrue(Set.of("keyward-budgets", "answered already")
        .contains(settledOn.get(10, TimeUnit.SECONDS)));
  }

  @Test
  void aRestartLosesNoSpend() throws Exception {
    Reservation settled = admitted(Budgets.monthly(), costing(DOLLAR / 2));
    await(store.settle(settled, new Charge(DOLLAR / 5, 10)));
    for (int i = 0; i < 3; i++) {
      admitted(Budgets.perAgent(), WorstCase.UNMETERED);
    }
    restart();
    assertEquals(DOLLAR / 5, usageOf("acme-monthly", "tenant:acme").spentNanoUsd());
    assertEquals(3, usageOf("per-agent", "agent:acme/agent-7").requestsThisMinute());
    refused(Budgets.perAgent(), WorstCase.UNMETERED);
  }

  @Test
  void aKilledProcessLosesNoSpendEither() throws Exception {
    for (int i = 0; i < 5; i++) {
      Reservation r = admitted(Budgets.monthly(), costing(DOLLAR / 10));
      await(store.settle(r, new Charge(DOLLAR / 10, 0)));
    }
    crashAndRestart();
    assertEquals(DOLLAR / 2, usageOf("acme-monthly", "tenant:acme").spentNanoUsd());
  }

  @Test
  void holdsOfTheProcessBeforeARestartAreChargedInFull() throws Exception {
    admitted(Budgets.monthly(), costing(DOLLAR / 4));
    crashAndRestart();
    BudgetUsage usage = usageOf("acme-monthly", "tenant:acme");
    assertEquals(DOLLAR / 4, usage.spentNanoUsd());
    assertEquals(0, usage.heldNanoUsd());
    assertEquals(1, counters.holdsExpired());
  }

  @Test
  void aWriteCutByACrashIsIgnoredAndEverythingBeforeItKept() throws Exception {
    Reservation r = admitted(Budgets.monthly(), costing(DOLLAR / 10));
    await(store.settle(r, new Charge(DOLLAR / 10, 0)));
    store.crashForTest();
    store = null;
    Files.writeString(dir.resolve(LedgerFiles.JOURNAL), "[{\"key\":\"acme-monthly:tenant:acme:mon",
        StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    store = EmbeddedBudgetStore.open(dir, clock, LEASE, counters);
    assertEquals(DOLLAR / 10, usageOf("acme-monthly", "tenant:acme").spentNanoUsd());
  }

  @Test
  void aCorruptLineInTheMiddleOfTheJournalStopsTheStartAndSaysTheWayOut() throws Exception {
    Reservation r = admitted(Budgets.monthly(), costing(DOLLAR / 10));
    await(store.settle(r, new Charge(DOLLAR / 10, 0)));
    store.crashForTest();
    store = null;
    Files.writeString(dir.resolve(LedgerFiles.JOURNAL), "not a journal line\n",
        StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    IOException e = assertThrows(IOException.class,
        () -> EmbeddedBudgetStore.open(dir, clock, LEASE, counters));
    assertTrue(e.getMessage().contains("is corrupt; to start, keep the lines before it (head -n"),
        e.getMessage());
    assertTrue(e.getMessage().contains("or move budgets.journal aside"), e.getMessage());
    assertTrue(e.getMessage().contains("holds they settled are charged in full"), e.getMessage());
  }

  @Test
  void aSettleIsRememberedAcrossARestartAndACrash() throws Exception {
    Reservation reservation = admitted(Budgets.monthly(), costing(DOLLAR / 2));
    await(store.settle(reservation, new Charge(DOLLAR / 10, 0)));
    restart();
    await(store.settle(reservation, new Charge(DOLLAR / 10, 0)));
    crashAndRestart();
    await(store.release(reservation));
    assertEquals(DOLLAR / 10, usageOf("acme-monthly", "tenant:acme").spentNanoUsd());
  }

  @Test
  void aSettledReservationIsForgottenAtOnceAndAnUnsettledOneTwoLeasesLater() throws Exception {
    clock.advance(Duration.ofDays(-10));
    for (int i = 0; i < 3; i++) {
      await(store.settle(admitted(Budgets.monthly(), costing(1)), new Charge(1, 0)));
    }
    assertEquals(0, store.rememberedCount());
    Reservation lost = admitted(Budgets.monthly(), costing(1));
    assertEquals(1, store.rememberedCount());
    restart();
    assertEquals(1, store.rememberedCount(), "a settle after a restart must still find it");
    clock.advance(LEASE.multipliedBy(2).minusMinutes(1));
    await(store.usage(Budgets.POLICY.budgets())); // a sweep
    assertEquals(1, store.rememberedCount());
    clock.advance(Duration.ofMinutes(2));
    await(store.usage(Budgets.POLICY.budgets()));
    assertEquals(0, store.rememberedCount());
    await(store.settle(lost, Charge.NOTHING)); // too late: its hold stays charged in full
    assertEquals(3 + 1, usageOf("acme-monthly", "tenant:acme").spentNanoUsd());
  }

  @Test
  void memoryStaysFlatOverManyBudgetedRequests() throws Exception {
    int counters = -1;
    for (int i = 0; i < 10_000; i++) {
      Reservation r = admitted(Budgets.monthly(), costing(1));
      await(i % 2 == 0 ? store.settle(r, new Charge(0, 0)) : store.release(r));
      if (i % 1000 == 999) {
        clock.advance(Duration.ofSeconds(1));
        assertEquals(0, store.rememberedCount(), "reservations remembered after " + i);
        int now = store.counterCount();
        assertTrue(counters < 0 || now == counters, "counters grew to " + now + " after " + i);
        counters = now;
      }
    }
    assertEquals(0, usageOf("acme-monthly", "tenant:acme").heldNanoUsd());
  }

  @Test
  void aJournalWriteCutByAFullDiskLeavesNoFragmentForTheNextStart() throws Exception {
    await(store.close());
    AtomicBoolean diskFull = new AtomicBoolean();
    store = EmbeddedBudgetStore.open(dir, clock, LEASE, counters, (journal, buffer) -> {
      if (!diskFull.get()) {
        return journal.write(buffer);
      }
      ByteBuffer half = buffer.duplicate();
      half.limit(half.position() + half.remaining() / 2);
      buffer.position(buffer.position() + journal.write(half));
      throw new IOException("No space left on device");
    });
    Reservation before = admitted(Budgets.monthly(), costing(DOLLAR / 10));
    long journalSize = Files.size(dir.resolve(LedgerFiles.JOURNAL));
    diskFull.set(true);
    assertInstanceOf(BudgetStoreUnavailableException.class, assertThrows(ExecutionException.class,
        () -> await(store.reserve(Budgets.monthly(), costing(DOLLAR / 10)))).getCause());
    assertEquals(journalSize, Files.size(dir.resolve(LedgerFiles.JOURNAL)), "a fragment was left");
    diskFull.set(false);
    await(store.settle(before, new Charge(DOLLAR / 20, 0)));
    crashAndRestart();
    assertEquals(DOLLAR / 20, usageOf("acme-monthly", "tenant:acme").spentNanoUsd());
    assertEquals(0, usageOf("acme-monthly", "tenant:acme").heldNanoUsd());
  }

  @Test
  void aSecondStoreOnTheSameDirectoryIsRefused() {
    IOException e = assertThrows(IOException.class,
        () -> EmbeddedBudgetStore.open(dir, clock, LEASE, new BudgetCounters()));
    assertTrue(e.getMessage().contains("budgets.store: redis"), e.getMessage());
  }

  @Test
  void closedWindowsAreDroppedSoMemoryStaysBounded() throws Exception {
    PolicySet policy = Budgets.POLICY;
    for (int agent = 0; agent < 200; agent++) {
      List<ApplicableBudget> budgets = policy.budgetsFor("agent-" + agent, "acme", Set.of(),
          "openrouter");
      await(store.reserve(budgets, costing(1)));
    }
    assertTrue(store.counterCount() >= 400, "counters: " + store.counterCount());
    clock.advance(Duration.ofDays(3));
    admitted(Budgets.perAgent(), WorstCase.UNMETERED); // this minute's requests and tokens
    assertEquals(2, store.counterCount());
    restart();
    assertEquals(2, store.counterCount());
  }

  @Test
  void concurrentReservationsNeverPassTheLimit() throws Exception {
    List<Future<Admission>> calls = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      calls.add(vertx.executeBlocking(() -> null).compose(v ->
          store.reserve(Budgets.monthly(), costing(DOLLAR / 100))));
    }
    long admitted = 0;
    for (Future<Admission> call : calls) {
      if (await(call) instanceof Admission.Admitted) {
        admitted++;
      }
    }
    assertEquals(100, admitted);
    assertEquals(DOLLAR, usageOf("acme-monthly", "tenant:acme").heldNanoUsd());
  }

  @Test
  void aReplayOfTheDeltaJournalRestoresEveryCounterExactly() throws Exception {
    List<ApplicableBudget> both = new ArrayList<>(Budgets.monthly());
    both.addAll(Budgets.perAgent());
    clock.advance(Duration.ofDays(-10));
    Reservation expired = admitted(Budgets.monthly(), costing(DOLLAR / 10));
    clock.advance(LEASE.plusSeconds(1));
    Reservation settled = admitted(both, Budgets.tokens(100, 200));
    Reservation released = admitted(Budgets.monthly(), costing(DOLLAR / 20)); // ends the lease
    admitted(Budgets.monthly(), costing(DOLLAR / 5)); // in flight at the crash
    await(store.settle(settled, new Charge(DOLLAR / 50, 120)));
    await(store.release(released));
    await(store.settle(expired, new Charge(DOLLAR / 100, 0))); // corrects the full charge
    refused(both, costing(DOLLAR));
    String before = store.describe();
    assertTrue(before.contains("hold "), before);
    store.crashForTest();
    assertEquals(before, BudgetLedger.replay(dir).describe());
    store = EmbeddedBudgetStore.open(dir, clock, LEASE, counters);
  }

  @Test
  void aJournalAlreadyFoldedIntoTheSnapshotIsNotAppliedTwice() throws Exception {
    Reservation r = admitted(Budgets.monthly(), costing(DOLLAR / 10));
    await(store.settle(r, new Charge(DOLLAR / 10, 0)));
    store.crashForTest();
    byte[] journal = Files.readAllBytes(dir.resolve(LedgerFiles.JOURNAL));
    assertTrue(journal.length > 0);
    store = EmbeddedBudgetStore.open(dir, clock, LEASE, counters); // folds it into the snapshot
    await(store.close());
    // A crash between writing the snapshot and emptying the journal leaves both.
    Files.write(dir.resolve(LedgerFiles.JOURNAL), journal);
    store = EmbeddedBudgetStore.open(dir, clock, LEASE, counters);
    assertEquals(DOLLAR / 10, usageOf("acme-monthly", "tenant:acme").spentNanoUsd());
  }

  @Test
  void concurrentCallersFromManyThreadsNeverOverspendAndReplayToTheSameCounters()
      throws Exception {
    int threads = 8;
    int each = 50;
    CountDownLatch start = new CountDownLatch(1);
    List<List<Future<Admission>>> answers = new ArrayList<>();
    List<Thread> callers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      List<Future<Admission>> mine = new ArrayList<>();
      answers.add(mine);
      Thread caller = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        for (int i = 0; i < each; i++) {
          mine.add(store.reserve(Budgets.monthly(), costing(DOLLAR / 100)));
        }
      });
      callers.add(caller);
      caller.start();
    }
    start.countDown();
    for (Thread caller : callers) {
      caller.join(30_000);
    }
    long admitted = 0;
    for (List<Future<Admission>> mine : answers) {
      assertEquals(each, mine.size());
      for (Future<Admission> answer : mine) {
        if (await(answer) instanceof Admission.Admitted) {
          admitted++;
        }
      }
    }
    assertEquals(100, admitted);
    assertEquals(DOLLAR, usageOf("acme-monthly", "tenant:acme").heldNanoUsd());
    String before = store.describe();
    store.crashForTest();
    assertEquals(before, BudgetLedger.replay(dir).describe());
    store = EmbeddedBudgetStore.open(dir, clock, LEASE, counters);
  }

  @Test
  void requestsQueuedDuringAWriteAreCommittedTogetherInTheNextWrite() throws Exception {
    await(store.close());
    AtomicInteger writes = new AtomicInteger();
    CountDownLatch writing = new CountDownLatch(1);
    CountDownLatch flush = new CountDownLatch(1);
    store = EmbeddedBudgetStore.open(dir, clock, LEASE, counters, (journal, buffer) -> {
      if (writes.incrementAndGet() == 1) {
        writing.countDown();
        try {
          flush.await(); // the test decides when the first batch is written
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException(e);
        }
      }
      return journal.write(buffer);
    });
    Future<Admission> first = store.reserve(Budgets.perAgent(), WorstCase.UNMETERED);
    assertTrue(writing.await(30, TimeUnit.SECONDS));
    List<Future<Admission>> queued = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      queued.add(store.reserve(Budgets.monthly(), costing(DOLLAR / 100)));
    }
    assertFalse(first.isComplete(), "answered before its line was written");
    flush.countDown();
    await(first);
    for (Future<Admission> answer : queued) {
      assertInstanceOf(Admission.Admitted.class, await(answer));
    }
    assertEquals(2, writes.get());
    assertEquals(2, store.writeCount());
    assertEquals(11, Files.readAllLines(dir.resolve(LedgerFiles.JOURNAL)).size());
  }

  @Test
  void filesOfTheFirstFormatAreReadSoAnUpgradeKeepsItsSpend() throws Exception {
    await(store.close());
    store = null;
    String month = "acme-monthly:tenant:acme:month-2026-12";
    long expires = Instant.parse("2027-01-03T00:00:00Z").toEpochMilli();
    Files.writeString(dir.resolve(LedgerFiles.SNAPSHOT), "{\"format\":1,\"counters\":["
        + "{\"key\":\"" + month + "\",\"value\":100,\"held\":0,\"expires_at\":" + expires
        + ",\"holds\":{}},"
        + "{\"key\":\"_settled:old-1\",\"value\":0,\"held\":0,\"expires_at\":" + expires
        + ",\"holds\":{}}]}");
    Files.writeString(dir.resolve(LedgerFiles.JOURNAL), "[{\"key\":\"" + month
        + "\",\"value\":300,\"held\":50,\"expires_at\":" + expires
        + ",\"holds\":{\"old-2\":[50," + expires + "]}}]\n");
    store = EmbeddedBudgetStore.open(dir, clock, LEASE, counters);
    BudgetUsage usage = usageOf("acme-monthly", "tenant:acme");
    assertEquals(350, usage.spentNanoUsd()); // the hold of the old process charged in full
    assertEquals(0, usage.heldNanoUsd());
    restart();
    assertEquals(350, usageOf("acme-monthly", "tenant:acme").spentNanoUsd());
  }
}
