package dev.keyward.proxy.forwardproxy;

import dev.keyward.proxy.error.ErrorCode;
import dev.keyward.proxy.error.ProxyException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Keeps the forward proxy's tunnels within their {@link TunnelLimits}: admits a {@code CONNECT}
 * only under the caps (per agent and in all), and closes tunnels idle or open too long, checked
 * every {@link #SWEEP_EVERY} against the injected clock.
 */
final class TunnelGuard {

  /** How often open tunnels are checked for their timeouts. */
  static final Duration SWEEP_EVERY = Duration.ofSeconds(1);

  private final TunnelLimits limits;
  private final Clock clock;
  private final Set<Slot> open = ConcurrentHashMap.newKeySet();
  private final Map<String, Integer> perAgent = new HashMap<>(); // guarded by this
  private int total; // guarded by this

  TunnelGuard(TunnelLimits limits, Clock clock) {
    this.limits = limits;
    this.clock = clock;
  }

  /** A place for one more tunnel of the agent; refused past either cap. */
  synchronized Slot admit(String tenant, String agent) throws ProxyException {
    if (total >= limits.maxTunnels()) {
      throw ErrorCode.FORWARD_PROXY_BUSY.exception("Keyward has " + total
          + " tunnels open, as many as forward_proxy.max_tunnels allows; try again later");
    }
    String key = tenant + "/" + agent;
    int mine = perAgent.getOrDefault(key, 0);
    if (mine >= limits.maxTunnelsPerAgent()) {
      throw ErrorCode.TOO_MANY_TUNNELS.exception("agent '" + agent + "' has " + mine
          + " tunnels open, as many as forward_proxy.max_tunnels_per_agent allows;"
          + " close one first");
    }
    total++;
    perAgent.put(key, mine + 1);
    Slot slot = new Slot(key, clock.millis());
    open.add(slot);
    return slot;
  }

  private synchronized void release(Slot slot) {
    if (open.remove(slot)) {
      total--;
      perAgent.computeIfPresent(slot.agentKey, (k, n) -> n <= 1 ? null : n - 1);
    }
  }

  /** Closes every tunnel idle for the idle timeout, or open for the maximum lifetime. */
  void sweep() {
    long now = clock.millis();
    long idle = limits.idleTimeout().toMillis();
    long lifetime = limits.maxLifetime().toMillis();
    for (Slot slot : open) {
      if (now - slot.lastActive >= idle || now - slot.opened >= lifetime) {
        slot.expire();
      }
    }
  }

  /** Tunnels open now (or being opened). */
  int open() {
    return open.size();
  }

  /** One admitted tunnel: released once when it ends. */
  final class Slot {

    private final String agentKey;
    private final long opened;
    private volatile long lastActive;
    private volatile Runnable closer;
    private final AtomicBoolean released = new AtomicBoolean();

    private Slot(String agentKey, long opened) {
      this.agentKey = agentKey;
      this.opened = opened;
      this.lastActive = opened;
    }

    /** Bytes passed: the tunnel is not idle. */
    void active() {
      lastActive = clock.millis();
    }

    /** How to close the tunnel when a timeout passes (once it is joined). */
    void closeWith(Runnable close) {
      this.closer = close;
    }

    private void expire() {
      Runnable close = closer;
      if (close != null) {
        close.run(); // the tunnel's close releases the slot
      }
    }

    /** The tunnel ended (or never opened): its place is free. */
    void release() {
      if (released.compareAndSet(false, true)) {
        TunnelGuard.this.release(this);
      }
    }
  }
}
