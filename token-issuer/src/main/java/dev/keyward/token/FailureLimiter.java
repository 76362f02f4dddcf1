package dev.keyward.token;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts failed exchanges per key (an agent id, a source address) in a window that starts at the
 * first failure; past the limit, the key is refused until the window ends, right secret or not.
 * Per replica: with N replicas an attacker gets at most N times the limit (shared counters would
 * live in Redis; see docs/tokens.md).
 */
public final class FailureLimiter {

  private final int limit;
  private final Duration window;
  private final Cache<String, AtomicInteger> failures;

  /**
   * @param ticker the time source of the window ({@code dev.keyward.vault.Tickers#of})
   */
  public FailureLimiter(int limit, Duration window, Ticker ticker) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be positive");
    }
    this.limit = limit;
    this.window = window;
    this.failures = Caffeine.newBuilder().ticker(ticker).expireAfterWrite(window)
        .maximumSize(1_000_000).build();
  }

  public boolean isBlocked(String key) {
    AtomicInteger count = failures.getIfPresent(key);
    return count != null && count.get() >= limit;
  }

  public void recordFailure(String key) {
    failures.get(key, k -> new AtomicInteger()).incrementAndGet();
  }

  public Duration window() {
    return window;
  }

  /** The keys counted now (for tests). */
  Set<String> keys() {
    return Set.copyOf(failures.asMap().keySet());
  }
}
