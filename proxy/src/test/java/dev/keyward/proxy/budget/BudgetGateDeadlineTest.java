package dev.keyward.proxy.budget;

import static dev.keyward.proxy.budget.Budgets.await;
import static dev.keyward.proxy.budget.Budgets.costing;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.llm.budget.Charge;
import dev.keyward.llm.budget.WorstCase;
import dev.keyward.policies.ApplicableBudget;
import dev.keyward.policies.Budget;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The gate's backstop: no request waits forever on a store that stopped answering. */
class BudgetGateDeadlineTest {

  /** A store whose reserves are answered only when the test says so. */
  private static final class SilentStore implements BudgetStore {
    final Promise<Admission> answer = Promise.promise();
    final List<Reservation> settled = new CopyOnWriteArrayList<>();

    @Override
    public Future<Admission> reserve(List<ApplicableBudget> budgets, WorstCase demand) {
      return answer.future();
    }

    @Override
    public Future<Void> settle(Reservation reservation, Charge charge) {
      settled.add(reservation);
      return Future.succeededFuture();
    }

    @Override
    public Future<List<BudgetUsage>> usage(List<Budget> budgets) {
      return Future.succeededFuture(List.of());
    }

    @Override
    public Future<Void> close() {
      return Future.succeededFuture();
    }
  }

  @Test
  void aReserveTheStoreNeverAnswersFailsAsUnavailableAtTheDeadline() throws Exception {
    SilentStore store = new SilentStore();
    BudgetGate gate = new BudgetGate(store, new BudgetCounters(), Duration.ofMillis(50));
    assertInstanceOf(BudgetDecision.Unavailable.class,
        await(gate.reserve(Budgets.monthly(), costing(1))));
    assertFalse(gate.storeAvailable());
    assertTrue(gate.storeFailure().contains("did not answer"), gate.storeFailure());
  }

  @Test
  void aReservationMadeAfterTheDeadlineIsGivenBack() throws Exception {
    SilentStore store = new SilentStore();
    BudgetGate gate = new BudgetGate(store, new BudgetCounters(), Duration.ofMillis(50));
    await(gate.reserve(Budgets.monthly(), costing(1)));
    Reservation late = new Reservation("late-1", Instant.EPOCH, costing(1), List.of());
    store.answer.complete(new Admission.Admitted(late));
    assertEquals(List.of(late), store.settled);
  }

  @Test
  void theDeadlineFailsTheReserveOnTheCallersEventLoop() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      BudgetGate gate = new BudgetGate(new SilentStore(), new BudgetCounters(),
          Duration.ofMillis(50));
      CompletableFuture<Boolean> onLoop = new CompletableFuture<>();
      vertx.runOnContext(v -> gate.reserve(Budgets.monthly(), costing(1))
          .onComplete(done -> onLoop.complete(Context.isOnEventLoopThread())));
      assertTrue(onLoop.get(30, TimeUnit.SECONDS));
    } finally {
      await(vertx.close());
    }
  }
}
