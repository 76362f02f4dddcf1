package dev.keyward.llm.routing;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * The {@code score} strategy's arithmetic: each target gets a score between 0 and 1, and targets
 * are tried best first.
 *
 * <pre>
 * score = w_cost × (1 − cost / most expensive)
 *       + w_quality × quality
 *       + w_latency × (1 − latency / slowest)
 * </pre>
 *
 * with the weights divided by their sum. Each input is compared with the other targets of the same
 * call: cost is the call's worst case at the target's model's price (the same estimate budgets
 * reserve), quality the model's score from configuration (0 to 1), latency the target's recent
 * time to first byte on this replica ({@link LatencyAverage}).
 *
 * <p>What is unknown is decided, not guessed: a model without a price counts as the most
 * expensive (its cost term is 0); a model without a quality score has quality 0; a target not
 * measured yet (cold) counts as the fastest (its latency term is the full weight), so it is tried
 * and so measured. When no target has a price, or none is measured, that input separates nothing.
 * Ties (equal scores, compared in steps of {@link #TIE}) go to the target listed first in the route. The same inputs
 * always give the same order.
 */
public final class Scoring {

  /** Scores are compared in steps of this: rounding noise never decides between targets. */
  public static final double TIE = 1e-9;

  /**
   * What is known about one target for one call.
   *
   * @param costNanoUsd the call's worst case at the target's model's price; empty when unpriced
   * @param quality the model's quality score, 0 to 1; empty when not configured
   * @param latencyMillis recent time to first byte; empty when cold
   */
  public record Inputs(OptionalLong costNanoUsd, OptionalDouble quality,
      OptionalDouble latencyMillis) {}

  private Scoring() {}

  /** Each target's score, in the order given. */
  public static double[] scores(List<Inputs> targets, ScoreWeights weights) {
    ScoreWeights w = weights.normalised();
    long maxCost = 0;
    double maxLatency = 0;
    for (Inputs t : targets) {
      if (t.costNanoUsd().isPresent()) {
        maxCost = Math.max(maxCost, t.costNanoUsd().getAsLong());
      }
      if (t.latencyMillis().isPresent()) {
        maxLatency = Math.max(maxLatency, t.latencyMillis().getAsDouble());
      }
    }
    double[] scores = new double[targets.size()];
    for (int i = 0; i < scores.length; i++) {
      Inputs t = targets.get(i);
      double cost = t.costNanoUsd().isEmpty() ? 1
          : maxCost == 0 ? 0 : (double) t.costNanoUsd().getAsLong() / maxCost;
      double latency = t.latencyMillis().isEmpty() || maxLatency == 0 ? 0
          : t.latencyMillis().getAsDouble() / maxLatency;
      double quality = Math.min(1, Math.max(0, t.quality().orElse(0)));
      scores[i] = w.cost() * (1 - cost) + w.quality() * quality + w.latency() * (1 - latency);
    }
    return scores;
  }

  /** The indices of {@code targets}, best score first; ties in the order given. */
  public static List<Integer> order(List<Inputs> targets, ScoreWeights weights) {
    double[] scores = scores(targets, weights);
    // Compared in steps of TIE: equal steps are a tie, and the order stays transitive.
    long[] steps = new long[scores.length];
    List<Integer> order = new ArrayList<>(scores.length);
    for (int i = 0; i < scores.length; i++) {
      steps[i] = Math.round(scores[i] / TIE);
      order.add(i);
    }
    order.sort(Comparator.comparingLong((Integer i) -> -steps[i]).thenComparingInt(i -> i));
    return order;
  }
}
