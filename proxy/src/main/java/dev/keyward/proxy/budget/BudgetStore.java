package dev.keyward.proxy.budget;

import dev.keyward.llm.budget.Charge;
import dev.keyward.llm.budget.WorstCase;
import dev.keyward.policies.ApplicableBudget;
import dev.keyward.policies.Budget;
import io.vertx.core.Future;
import java.util.List;

/**
 * Budget and rate-limit counters: reserve before a request is forwarded, settle when it ends.
 * Every method returns at once and never blocks an event loop.
 *
 * <p>When the counters cannot be reached, a future fails with {@link
 * BudgetStoreUnavailableException}; {@link BudgetGate} turns that into {@code 503
 * budget_unavailable} or, for budgets that say {@code on_store_failure: allow}, into an uncounted
 * admission.
 */
public interface BudgetStore {

  /**
   * Reserves the worst case of one request against every budget that applies to it, atomically:
   * either all of them take it (money, one request, the worst-case tokens) or none does and the
   * answer says which limit refused. With no budgets, admits with {@link Reservation#NONE}.
   */
  Future<Admission> reserve(List<ApplicableBudget> budgets, WorstCase demand);

  /**
   * Replaces the reservation's holds by what the call was metered at. For a stream cut before its
   * usage arrived, {@code charge} is the meter's estimate, never nothing. Settling twice, or a
   * reservation whose hold already expired, counts the charge once: a second settle (or release)
   * changes nothing. A settle may come as late as a hold lease after the hold expired (two leases
   * after the reservation); a later one may be ignored, leaving the hold charged in full.
   */
  Future<Void> settle(Reservation reservation, Charge charge);

  /** Gives back a reservation whose request never reached the upstream; the request still counts. */
  default Future<Void> release(Reservation reservation) {
    return settle(reservation, Charge.NOTHING);
  }

  /**
   * For operators: per budget, every subject with counters in the current window, its spend
   * against its limit and when it resets.
   */
  Future<List<BudgetUsage>> usage(List<Budget> budgets);

  /** Flushes what must survive and lets go of connections and files. */
  Future<Void> close();
}
