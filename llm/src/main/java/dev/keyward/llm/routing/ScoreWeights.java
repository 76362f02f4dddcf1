package dev.keyward.llm.routing;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How much each input counts in a target's score: cost (cheaper is better), quality (higher is
 * better) and latency (faster is better). Weights are not negative and not all zero; they are used
 * divided by their sum, so {@code {cost: 2, quality: 1, latency: 1}} is {@code {0.5, 0.25, 0.25}}.
 */
public record ScoreWeights(double cost, double quality, double latency) {

  /** Cheap first: the preset {@code economy}. */
  public static final ScoreWeights ECONOMY = new ScoreWeights(0.55, 0.25, 0.20);
  /** Best model first: the preset {@code quality}. */
  public static final ScoreWeights QUALITY = new ScoreWeights(0.10, 0.70, 0.20);
  /** Fastest first: the preset {@code fast}. */
  public static final ScoreWeights FAST = new ScoreWeights(0.15, 0.20, 0.65);

  /** The presets by name, in the order the documentation lists them. */
  public static final Map<String, ScoreWeights> PRESETS = presets();

  public ScoreWeights {
    for (double weight : new double[] {cost, quality, latency}) {
      if (!Double.isFinite(weight) || weight < 0) {
        throw new IllegalArgumentException("weights must be numbers of 0 or more");
      }
    }
    if (cost + quality + latency <= 0) {
      throw new IllegalArgumentException("at least one weight must be more than 0");
    }
  }

  /** The weights divided by their sum, so they add up to 1. */
  public ScoreWeights normalised() {
    double sum = cost + quality + latency;
    return new ScoreWeights(cost / sum, quality / sum, latency / sum);
  }

  private static Map<String, ScoreWeights> presets() {
    Map<String, ScoreWeights> presets = new LinkedHashMap<>();
    presets.put("economy", ECONOMY);
    presets.put("quality", QUALITY);
    presets.put("fast", FAST);
    return java.util.Collections.unmodifiableMap(presets);
  }
}
