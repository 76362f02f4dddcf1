package dev.keyward.llm.routing;

import java.time.Duration;

/**
 * One target's circuit on one replica: {@code closed} (tried), {@code open} (skipped) or {@code
 * half_open} (one probe at a time is tried; its result closes or reopens the circuit). Only what
 * the target did counts: a caller reports {@link Result#IGNORED} for anything that was not the
 * upstream's fault (the agent's own bad request, a call refused before it went upstream), which
 * changes nothing but frees a probe.
 *
 * <p>Calls and failures are counted in ten buckets spanning the settings' window, so old
 * failures age out without a timer. Time is always passed in (milliseconds of an injected clock).
 * Thread-safe: one instance is shared by every event loop.
 */
public final class CircuitBreaker {

  /** Where the circuit is. */
  public enum State {
    CLOSED("closed"),
    OPEN("open"),
    HALF_OPEN("half_open");

    private final String wireName;

    State(String wireName) {
      this.wireName = wireName;
    }

    /** As the admin API and the documentation write it. */
    public String wireName() {
      return wireName;
    }
  }

  /** What {@link #acquire} allows one call to do. */
  public enum Permit {
    /** The circuit is closed: go. */
    CALL,
    /** The circuit is half open and this call is its one probe: go, and always report. */
    PROBE,
    /** The circuit is open (or a probe is out): skip the target. */
    REFUSED
  }

  /** How a call that was let through went, as far as the target is concerned. */
  public enum Result {
    /** The upstream answered (whatever the agent asked, it answered it). */
    SUCCESS,
    /** The upstream failed: no connection, no answer in time, 429, 5xx, 401, 402 or 403. */
    FAILURE,
    /** Not the upstream's doing: counts neither way. */
    IGNORED
  }

  /** What the circuit looks like now, for metrics and the admin API. */
  public record Snapshot(State state, long failures, long calls, long openUntilMillis) {}

  /** A probe that never reports is given up after this, and the next call probes instead. */
  public static final Duration PROBE_LEASE = Duration.ofMinutes(5);

  private static final int BUCKETS = 10;

  private State state = State.CLOSED;
  private long openUntil;
  /** When the probe in flight started; -1 when none is. */
  private long probeSince = -1;
  private long bucketMillis;
  private final long[] bucketIndex = new long[BUCKETS];
  private final long[] calls = new long[BUCKETS];
  private final long[] failures = new long[BUCKETS];

  /**
   * What an upstream's response status says about the target: 429, 401, 402, 403 and every 5xx
   * are its failures (overloaded, down, or its key expired, revoked or out of credit: the next
   * target is tried); 1xx, 2xx and 3xx are successes; any other 4xx is the agent's own request at
   * fault and counts neither way.
   */
  public static Result judge(int status) {
    if (status == 429 || status == 401 || status == 402 || status == 403 || status >= 500) {
      return Result.FAILURE;
    }
    return status >= 400 ? Result.IGNORED : Result.SUCCESS;
  }

  /** The state now: an open circuit whose time is up counts as half open (the next call probes). */
  public synchronized State state(long now) {
    return state == State.OPEN && now >= openUntil ? State.HALF_OPEN : state;
  }

  /** May a call go to the target now? A {@code PROBE} or {@code CALL} must be reported. */
  public synchronized Permit acquire(BreakerSettings settings, long now) {
    switch (state) {
      case CLOSED -> {
        return Permit.CALL;
      }
      case OPEN -> {
        if (now < openUntil) {
          return Permit.REFUSED;
        }
        state = State.HALF_OPEN;
        probeSince = now;
        return Permit.PROBE;
      }
      default -> {
        if (probeSince >= 0 && now - probeSince < PROBE_LEASE.toMillis()) {
          return Permit.REFUSED;
        }
        probeSince = now;
        return Permit.PROBE;
      }
    }
  }

  /** Reports how a call let through by {@code permit} went. */
  public synchronized void record(Permit permit, Result result, BreakerSettings settings,
      long now) {
    if (permit == Permit.PROBE) {
      if (state != State.HALF_OPEN) {
        return;
      }
      probeSince = -1;
      if (result == Result.SUCCESS) {
        close();
      } else if (result == Result.FAILURE) {
        open(settings, now);
      }
      return;
    }
    if (permit == Permit.CALL && state == State.CLOSED && result != Result.IGNORED) {
      count(result == Result.FAILURE, settings, now);
    }
  }

  /**
   * One more failure of a call that had already been judged a success (a stream the upstream
   * broke after it started): counted while the circuit is closed, ignored otherwise.
   */
  public synchronized void recordLateFailure(BreakerSettings settings, long now) {
    if (state == State.CLOSED) {
      count(true, settings, now);
    }
  }

  public synchronized Snapshot snapshot(BreakerSettings settings, long now) {
    if (state == State.OPEN && now >= openUntil) {
      return new Snapshot(State.HALF_OPEN, 0, 0, 0); // the next call probes
    }
    align(settings);
    long current = now / bucketMillis;
    return new Snapshot(state, sum(failures, current), sum(calls, current),
        state == State.OPEN ? openUntil : 0);
  }

  private void count(boolean failed, BreakerSettings settings, long now) {
    align(settings);
    long current = now / bucketMillis;
    int slot = (int) Math.floorMod(current, (long) BUCKETS);
    if (bucketIndex[slot] != current) {
      bucketIndex[slot] = current;
      calls[slot] = 0;
      failures[slot] = 0;
    }
    calls[slot]++;
    if (!failed) {
      return;
    }
    failures[slot]++;
    if (settings.opens(sum(failures, current), sum(calls, current))) {
      open(settings, now);
    }
  }

  /** The counts of the buckets inside the window that ends with bucket {@code current}. */
  private long sum(long[] counts, long current) {
    long total = 0;
    for (int i = 0; i < BUCKETS; i++) {
      if (bucketIndex[i] > current - BUCKETS && bucketIndex[i] <= current) {
        total += counts[i];
      }
    }
    return total;
  }

  /** A changed window (a reloaded policy) starts the count afresh. */
  private void align(BreakerSettings settings) {
    long size = Math.max(1, settings.window().toMillis() / BUCKETS);
    if (size != bucketMillis) {
      bucketMillis = size;
      clearCounts();
    }
  }

  private void open(BreakerSettings settings, long now) {
    state = State.OPEN;
    openUntil = now + settings.openFor().toMillis();
    probeSince = -1;
    clearCounts();
  }

  private void close() {
    state = State.CLOSED;
    probeSince = -1;
    clearCounts();
  }

  private void clearCounts() {
    for (int i = 0; i < BUCKETS; i++) {
      bucketIndex[i] = Long.MIN_VALUE;
      calls[i] = 0;
      failures[i] = 0;
    }
  }
}
