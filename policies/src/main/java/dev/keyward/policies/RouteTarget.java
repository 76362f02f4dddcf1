package dev.keyward.policies;

import java.time.Duration;
import java.util.Objects;

/**
 * One upstream of a route that lists {@code targets}: its own name (in {@code X-Keyward-Target},
 * audit records and metrics), credential and upstream base URL, how the model is named there,
 * its weight for the {@code weighted} strategy, and how long it may take to start answering.
 *
 * @param upstream the base URL, normalised, with no query
 * @param weight the share of first picks under {@code strategy: weighted} (0: only as a fallback)
 * @param firstByteTimeout from the end of the request body to the response head; past it the next
 *     target is tried
 */
public record RouteTarget(String name, String credentialId, Target upstream, ModelMapping model,
    int weight, Duration firstByteTimeout) {

  /** The first-byte timeout of a target that sets none, on a route that sets none. */
  public static final Duration DEFAULT_FIRST_BYTE_TIMEOUT = Duration.ofSeconds(30);
  /** The largest weight a target may have. */
  public static final int MAX_WEIGHT = 1000;

  public RouteTarget {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(credentialId, "credentialId");
    Objects.requireNonNull(upstream, "upstream");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(firstByteTimeout, "firstByteTimeout");
    if (weight < 0 || weight > MAX_WEIGHT) {
      throw new IllegalArgumentException("weight must be 0 to " + MAX_WEIGHT);
    }
  }

  /**
   * This target's URL for a request whose path under the route is {@code normalizedRest}.
   *
   * @param normalizedRest the remainder of the path, normalised ({@link Targets#normalizePath})
   * @param query the raw query string or null
   */
  public Target target(String normalizedRest, String query) {
    return Targets.under(upstream, normalizedRest, query);
  }
}
