/**
 * How a route with several targets picks the order to try them in, and when it stops trying one:
 * plain Java with no clock of its own (every method takes the time), so the proxy injects its
 * clock and tests move it by hand.
 *
 * <p>{@link dev.keyward.llm.routing.Strategy} names the three orders: the route's
 * ({@code fallback}), {@link dev.keyward.llm.routing.WeightedRoundRobin} ({@code weighted}) and
 * {@link dev.keyward.llm.routing.Scoring} ({@code score}, with {@link
 * dev.keyward.llm.routing.ScoreWeights}). Per target and replica, a {@link
 * dev.keyward.llm.routing.CircuitBreaker} says whether it may be tried, and a {@link
 * dev.keyward.llm.routing.LatencyAverage} how fast it answered lately.
 */
package dev.keyward.llm.routing;
