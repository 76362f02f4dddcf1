package dev.keyward.proxy.forwardproxy;

import java.time.Duration;
import java.util.Objects;

/**
 * How long, and how many, forward-proxy tunnels may stay open: an idle tunnel (no byte either
 * way) is closed after {@code idleTimeout}, any tunnel after {@code maxLifetime}; past {@code
 * maxTunnelsPerAgent} for one agent, or {@code maxTunnels} in all, a {@code CONNECT} is refused.
 * Both kinds of tunnel count: intercepted and passed through untouched.
 */
public record TunnelLimits(Duration idleTimeout, Duration maxLifetime, int maxTunnels,
    int maxTunnelsPerAgent) {

  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);
  public static final Duration DEFAULT_MAX_LIFETIME = Duration.ofHours(1);
  public static final int DEFAULT_MAX_TUNNELS = 2048;
  public static final int DEFAULT_MAX_TUNNELS_PER_AGENT = 128;
  public static final TunnelLimits DEFAULTS = new TunnelLimits(DEFAULT_IDLE_TIMEOUT,
      DEFAULT_MAX_LIFETIME, DEFAULT_MAX_TUNNELS, DEFAULT_MAX_TUNNELS_PER_AGENT);

  public TunnelLimits {
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    Objects.requireNonNull(maxLifetime, "maxLifetime");
    if (idleTimeout.isNegative() || idleTimeout.isZero()
        || maxLifetime.isNegative() || maxLifetime.isZero()) {
      throw new IllegalArgumentException("tunnel timeouts must be positive");
    }
    if (maxTunnels < 1 || maxTunnelsPerAgent < 1) {
      throw new IllegalArgumentException("tunnel caps must be at least 1");
    }
  }
}
