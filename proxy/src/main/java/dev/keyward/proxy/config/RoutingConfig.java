package dev.keyward.proxy.config;

import dev.keyward.llm.LlmRequest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * What routes with targets use besides the policy: each model's quality score for the {@code
 * score} strategy, and how fast the measured latency of a target decays ({@code routing} in
 * keyward.yaml; docs/configuration.md).
 *
 * @param quality model name to its score, 0 (worst) to 1 (best)
 * @param latencyHalfLife the time over which a target's measured latency loses half its weight
 */
public record RoutingConfig(Map<String, Double> quality, Duration latencyHalfLife) {

  public static final Duration DEFAULT_HALF_LIFE = Duration.ofMinutes(1);
  public static final RoutingConfig DEFAULTS = new RoutingConfig(Map.of(), DEFAULT_HALF_LIFE);

  public RoutingConfig {
    quality = Map.copyOf(quality);
  }

  /** The model's quality score; empty when the configuration has none. */
  public OptionalDouble quality(String model) {
    Double score = model == null ? null : quality.get(model);
    return score == null ? OptionalDouble.empty() : OptionalDouble.of(score);
  }

  static RoutingConfig resolve(ConfigFile.Routing raw, List<String> problems) {
    if (raw == null) {
      return DEFAULTS;
    }
    Map<String, Double> quality = new LinkedHashMap<>();
    if (raw.quality() != null) {
      raw.quality().forEach((model, value) -> {
        if (model.isBlank() || model.length() > LlmRequest.MAX_MODEL_LENGTH
            || !model.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
          problems.add("routing.quality: '" + model + "' is not a model name");
        } else if (value instanceof Number n && n.doubleValue() >= 0 && n.doubleValue() <= 1) {
          quality.put(model, n.doubleValue());
        } else {
          problems.add("routing.quality." + model + " must be a number from 0 (worst) to 1"
              + " (best), not " + value);
        }
      });
    }
    Duration halfLife = DEFAULT_HALF_LIFE;
    if (raw.latencyHalfLife() != null) {
      try {
        halfLife = Durations.parse(raw.latencyHalfLife());
        if (halfLife.isZero() || halfLife.compareTo(Duration.ofDays(1)) > 0) {
          problems.add("routing.latency_half_life must be longer than zero and at most 1d");
          halfLife = DEFAULT_HALF_LIFE;
        }
      } catch (IllegalArgumentException e) {
        problems.add("routing.latency_half_life: " + e.getMessage());
      }
    }
    return new RoutingConfig(quality, halfLife);
  }
}
