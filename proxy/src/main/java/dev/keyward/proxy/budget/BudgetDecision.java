package dev.keyward.proxy.budget;

import dev.keyward.llm.budget.Refusal;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What the budgets say about one request, as the request path acts on it. Each outcome maps to
 * one answer: continue, {@code 429} with {@code Retry-After}, or {@code 503 budget_unavailable}.
 */
public sealed interface BudgetDecision {

  /** Forward the request; settle (or release) the reservation exactly once when it ends. */
  final class Admitted implements BudgetDecision {
    private final Reservation reservation;
    private final AtomicBoolean ended = new AtomicBoolean();

    Admitted(Reservation reservation) {
      this.reservation = Objects.requireNonNull(reservation, "reservation");
    }

    public Reservation reservation() {
      return reservation;
    }

    /** True the first time only: a second settle would count the call twice. */
    boolean end() {
      return ended.compareAndSet(false, true);
    }

    @Override
    public String toString() {
      return "Admitted[" + reservation.id() + "]";
    }
  }

  /**
   * Refuse with {@code 429}, {@link Refusal#errorCode()} ({@code budget_exceeded} or {@code
   * rate_limited}), {@code Retry-After: }{@link Refusal#retryAfterSeconds()}, and {@link
   * Refusal#message()} in the body. The request never reaches the upstream.
   */
  record Refused(Refusal refusal) implements BudgetDecision {
    public Refused {
      Objects.requireNonNull(refusal, "refusal");
    }
  }

  /**
   * The counters cannot be reached and a budget that applies says {@code on_store_failure: deny}
   * (the default): refuse with {@code 503 budget_unavailable}.
   *
   * @param budgets the budgets that fail closed
   */
  record Unavailable(List<String> budgets, String reason) implements BudgetDecision {
    public Unavailable {
      budgets = List.copyOf(budgets);
    }
  }

  /**
   * The counters cannot be reached and every budget that applies says {@code on_store_failure:
   * allow}: forward the request, uncounted; there is nothing to settle.
   */
  record AllowedUncounted(List<String> budgets, String reason) implements BudgetDecision {
    public AllowedUncounted {
      budgets = List.copyOf(budgets);
    }
  }
}
