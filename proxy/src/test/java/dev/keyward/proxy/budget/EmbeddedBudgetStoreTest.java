package dev.keyward.proxy.budget;

import static dev.keyward.proxy.budget.Budgets.DOLLAR;
import static dev.keyward.proxy.budget.Budgets.await;
import static dev.keyward.proxy.budget.Budgets.costing;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
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
    store = EmbeddedBudgetStore.open(vertx, dir, clock, LEASE, counters);
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
    store = EmbeddedBudgetStore.open(vertx, dir, clock, LEASE, counters);
  }

  private void crashAndRestart() throws Exception {
    store.crashForTest();
    store = null;
    store = EmbeddedBudgetStore.open(vertx, dir, clock, LEASE, counters);
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
    store = EmbeddedBudgetStore.open(vertx, dir, clock, LEASE, counters);
    assertEquals(DOLLAR / 10, usageOf("acme-monthly", "tenant:acme").spentNanoUsd());
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
  void settledReservationsAreForgottenAHoldLeaseLater() throws Exception {
    for (int i = 0; i < 3; i++) {
      await(store.settle(admitted(Budgets.monthly(), costing(1)), new Charge(1, 0)));
    }
    assertEquals(3, store.settledCount());
    clock.advance(LEASE.minusMinutes(1));
    admitted(Budgets.perAgent(), WorstCase.UNMETERED); // a sweep
    assertEquals(3, store.settledCount());
    clock.advance(Duration.ofMinutes(2));
    admitted(Budgets.perAgent(), WorstCase.UNMETERED);
    assertEquals(0, store.settledCount());
    restart();
    assertEquals(0, store.settledCount());
  }

  @Test
  void aJournalWriteCutByAFullDiskLeavesNoFragmentForTheNextStart() throws Exception {
    await(store.close());
    AtomicBoolean diskFull = new AtomicBoolean();
    store = EmbeddedBudgetStore.open(vertx, dir, clock, LEASE, counters, (journal, buffer) -> {
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
        () -> EmbeddedBudgetStore.open(vertx, dir, clock, LEASE, new BudgetCounters()));
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
}
