package dev.keyward.proxy.budget;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts of what budgets decided and how the store behaved. Labels come from closed sets (the
 * outcome, the operation), never from budget subjects, which are unbounded.
 */
public final class BudgetCounters {

  private final LongAdder admitted = new LongAdder();
  private final LongAdder budgetExceeded = new LongAdder();
  private final LongAdder rateLimited = new LongAdder();
  private final LongAdder unavailable = new LongAdder();
  private final LongAdder allowedUncounted = new LongAdder();
  private final LongAdder reserveFailures = new LongAdder();
  private final LongAdder settleFailures = new LongAdder();
  private final LongAdder usageFailures = new LongAdder();
  private final LongAdder holdsExpired = new LongAdder();

  void admitted() {
    admitted.increment();
  }

  void refused(String errorCode) {
    (errorCode.equals("rate_limited") ? rateLimited : budgetExceeded).increment();
  }

  void unavailable() {
    unavailable.increment();
  }

  void allowedUncounted() {
    allowedUncounted.increment();
  }

  void reserveFailed() {
    reserveFailures.increment();
  }

  void settleFailed() {
    settleFailures.increment();
  }

  void usageFailed() {
    usageFailures.increment();
  }

  /** A hold reached the end of its lease unsettled and was charged in full. */
  void holdsExpired(long count) {
    holdsExpired.add(count);
  }

  public long storeFailures() {
    return reserveFailures.sum() + settleFailures.sum() + usageFailures.sum();
  }

  public long holdsExpired() {
    return holdsExpired.sum();
  }

  public long allowedUncountedCount() {
    return allowedUncounted.sum();
  }

  public long unavailableCount() {
    return unavailable.sum();
  }

  /**
   * {@code keyward_budget_decisions_total{outcome}}, {@code
   * keyward_budget_store_failures_total{operation}}, {@code keyward_budget_holds_expired_total}.
   */
  public void bindTo(MeterRegistry registry) {
    decision(registry, "admitted", admitted);
    decision(registry, "budget_exceeded", budgetExceeded);
    decision(registry, "rate_limited", rateLimited);
    decision(registry, "budget_unavailable", unavailable);
    decision(registry, "allowed_uncounted", allowedUncounted);
    storeFailures(registry, "reserve", reserveFailures);
    storeFailures(registry, "settle", settleFailures);
    storeFailures(registry, "usage", usageFailures);
    FunctionCounter.builder("keyward_budget_holds_expired", holdsExpired, LongAdder::sum)
        .description("reservations charged in full because they were never settled")
        .register(registry);
  }

  private static void storeFailures(MeterRegistry registry, String operation, LongAdder adder) {
    FunctionCounter.builder("keyward_budget_store_failures", adder, LongAdder::sum)
        .tag("operation", operation).description("budget store calls that failed")
        .register(registry);
  }

  private static void decision(MeterRegistry registry, String outcome, LongAdder adder) {
    FunctionCounter.builder("keyward_budget_decisions", adder, LongAdder::sum)
        .tag("outcome", outcome).description("budget checks of requests, by outcome")
        .register(registry);
  }
}
