package dev.keyward.llm.budget;

import dev.keyward.llm.Cost;
import dev.keyward.llm.Usage;

/**
 * What a call is finally counted at when its reservation is settled: the metered cost and
 * tokens. For a stream cut before the provider reported usage the caller passes the meter's
 * estimate ({@link Usage#estimated()}), never zero: an answer that was received is not free.
 */
public record Charge(long nanoUsd, long tokens) {

  /** A request that never reached the upstream. */
  public static final Charge NOTHING = new Charge(0, 0);

  public Charge {
    if (nanoUsd < 0 || tokens < 0) {
      throw new IllegalArgumentException("a charge cannot be negative");
    }
  }

  /** The larger of two charges, in money and in tokens each. */
  public static Charge larger(Charge a, Charge b) {
    return new Charge(Math.max(a.nanoUsd, b.nanoUsd), Math.max(a.tokens, b.tokens));
  }

  /**
   * The charge of a metered call. An unpriced cost counts as no money: only budgets without a
   * money limit admit an unpriced model ({@link WorstCase}).
   */
  public static Charge of(Cost cost, Usage usage) {
    return new Charge(cost.nanoUsd(), usage.totalTokens());
  }
}
