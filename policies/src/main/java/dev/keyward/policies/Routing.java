package dev.keyward.policies;

import dev.keyward.llm.routing.BreakerSettings;
import dev.keyward.llm.routing.ScoreWeights;
import dev.keyward.llm.routing.Strategy;
import java.util.List;
import java.util.Objects;

/**
 * How a route spreads calls over its {@code targets}: the strategy that orders them, the score's
 * weights ({@code strategy: score}) and when a target's circuit opens. A route with one upstream
 * (no {@code targets}) has {@link #NONE}.
 *
 * @param targets in the route's order; empty on a route with one upstream
 */
public record Routing(Strategy strategy, ScoreWeights weights, BreakerSettings breaker,
    List<RouteTarget> targets) {

  /** A route with one upstream and credential. */
  public static final Routing NONE = new Routing(Strategy.FALLBACK, ScoreWeights.ECONOMY,
      BreakerSettings.DEFAULT, List.of());

  public Routing {
    Objects.requireNonNull(strategy, "strategy");
    Objects.requireNonNull(weights, "weights");
    Objects.requireNonNull(breaker, "breaker");
    targets = List.copyOf(targets);
  }

  /** True for a route that lists targets: calls are tried target by target. */
  public boolean chained() {
    return !targets.isEmpty();
  }
}
