package dev.keyward.proxy.budget;

import dev.keyward.llm.budget.BudgetLimits;
import dev.keyward.policies.Budget;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/**
 * Gauges per budget of the policy, read from the budget store every {@link #REFRESH_INTERVAL} off
 * the request path (one usage read of every budget at once; a scrape reads the last values). What
 * they show is summed over a budget's subjects, whose number is unbounded: the labels are the
 * budget's name (the operator's, from the policy) and which limit, never a subject.
 *
 * <p>A refresh that fails (the store is down) keeps the last values; the gate counts the failure.
 * A budget removed from the policy loses its gauges at the next refresh.
 */
public final class BudgetGauges {

  public static final Duration REFRESH_INTERVAL = Duration.ofSeconds(30);
  private static final String AT_LIMIT = "keyward_budget_subjects_at_limit";
  private static final String AT_LIMIT_HELP = "Subjects whose spend and holds reach the money"
      + " limit, or whose requests or tokens this minute reach the rate";

  /** One budget's counters now, summed over its subjects. */
  private record Totals(long spentNanoUsd, long heldNanoUsd, long subjects, long moneyAtLimit,
      long requestsAtLimit, long tokensAtLimit) {

    static final Totals NONE = new Totals(0, 0, 0, 0, 0, 0);

    Totals plus(BudgetUsage row) {
      return new Totals(spentNanoUsd + row.spentNanoUsd(), heldNanoUsd + row.heldNanoUsd(),
          subjects + 1, moneyAtLimit + (row.moneyAtLimit() ? 1 : 0),
          requestsAtLimit + (row.requestsAtLimit() ? 1 : 0),
          tokensAtLimit + (row.tokensAtLimit() ? 1 : 0));
    }
  }

  /** The meters of one budget, registered for the limits it had then. */
  private record Registered(BudgetLimits limits, List<Meter> meters) {}

  private final BudgetGate gate;
  private final Supplier<List<Budget>> budgets;
  private final MeterRegistry registry;
  private final Map<String, Registered> registered = new HashMap<>();
  private volatile Map<String, Totals> totals = Map.of();
  private final AtomicLong refreshes = new AtomicLong();
  private long shown;
  private final AtomicBoolean ticking = new AtomicBoolean();

  /** @param budgets the budgets of the policy in force, read at each refresh */
  public BudgetGauges(BudgetGate gate, Supplier<List<Budget>> budgets, MeterRegistry registry) {
    this.gate = gate;
    this.budgets = budgets;
    this.registry = registry;
  }

  /** The periodic refresh: skipped while the previous one still runs (a slow store). */
  public void tick() {
    if (ticking.compareAndSet(false, true)) {
      refresh().onComplete(done -> ticking.set(false));
    }
  }

  /**
   * Reads usage now and shows it; completes once the gauges do. Never fails: when the store cannot
   * be read, the gauges keep their last values (and follow the policy's budgets).
   */
  public Future<Void> refresh() {
    List<Budget> now = budgets.get();
    long refresh = refreshes.incrementAndGet();
    return gate.usage(now)
        .map(rows -> {
          show(refresh, now, rows);
          return (Void) null;
        })
        .otherwise(e -> {
          follow(now);
          return null;
        });
  }

  private synchronized void show(long refresh, List<Budget> now, List<BudgetUsage> rows) {
    follow(now);
    if (refresh < shown) {
      return; // a later refresh finished first
    }
    shown = refresh;
    Map<String, Totals> sums = new HashMap<>();
    for (BudgetUsage row : rows) {
      sums.put(row.budget(), sums.getOrDefault(row.budget(), Totals.NONE).plus(row));
    }
    totals = Map.copyOf(sums);
  }

  /** Registers the gauges of new (or changed) budgets, removes those of budgets gone. */
  private synchronized void follow(List<Budget> now) {
    Map<String, BudgetLimits> wanted = now.stream()
        .collect(Collectors.toMap(Budget::name, Budget::limits, (a, b) -> a));
    for (String name : Set.copyOf(registered.keySet())) {
      if (!registered.get(name).limits().equals(wanted.get(name))) {
        registered.remove(name).meters().forEach(registry::remove);
      }
    }
    wanted.forEach((name, limits) -> registered.computeIfAbsent(name,
        n -> new Registered(limits, register(n, limits))));
  }

  private List<Meter> register(String budget, BudgetLimits limits) {
    List<Meter> meters = new ArrayList<>();
    meters.add(gauge("keyward_budget_subjects", "Subjects with counters in the budget's current"
        + " windows", budget, null, t -> t.subjects));
    if (limits.limitsMoney()) {
      long limit = limits.nanoUsd().getAsLong();
      meters.add(gauge("keyward_budget_limit_usd", "The budget's money limit per subject and"
          + " period, in USD", budget, null, t -> limit / 1e9));
      meters.add(gauge("keyward_budget_spend_usd", "Spend settled in the current period, summed"
          + " over the budget's subjects, in USD", budget, null, t -> t.spentNanoUsd / 1e9));
      meters.add(gauge("keyward_budget_held_usd", "Reserved by calls still running, summed over"
          + " the budget's subjects, in USD", budget, null, t -> t.heldNanoUsd / 1e9));
      meters.add(gauge(AT_LIMIT, AT_LIMIT_HELP, budget, "usd",
          t -> t.moneyAtLimit));
    }
    if (limits.requestsPerMinute().isPresent()) {
      meters.add(gauge(AT_LIMIT, AT_LIMIT_HELP, budget,
          "requests_per_minute", t -> t.requestsAtLimit));
    }
    if (limits.tokensPerMinute().isPresent()) {
      meters.add(gauge(AT_LIMIT, AT_LIMIT_HELP, budget,
          "tokens_per_minute", t -> t.tokensAtLimit));
    }
    return meters;
  }

  private Gauge gauge(String name, String description, String budget, String limit,
      ToDoubleFunction<Totals> value) {
    Gauge.Builder<BudgetGauges> builder = Gauge.builder(name, this,
            g -> value.applyAsDouble(g.totals.getOrDefault(budget, Totals.NONE)))
        .description(description).tag("budget", budget).strongReference(true);
    if (limit != null) {
      builder.tag("limit", limit);
    }
    return builder.register(registry);
  }
}
