package dev.keyward.token;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;

/**
 * Tokens whose signature has been checked, keyed by the SHA-256 of the token (the cache never holds
 * token text). Bounded both in entries and in (estimated) bytes; each entry lives until its token
 * expires, so a busy agent pays for one signature check per token rather than per request.
 *
 * <p>The byte bound is enforced with a weight per entry: its estimated size ({@link #bytes}), but
 * never less than {@code maximumBytes / maximumEntries}, so the weight bound is also the entry
 * bound.
 */
final class VerifiedTokenCache {

  /**
   * Estimated heap bytes of an entry apart from its claims' strings: the cache's node and map
   * slot, the key (a 44-character string), the claims record, its three instants and purpose.
   * Measured with {@code CacheEntryBytes} in the bench module (docs/tokens.md).
   */
  static final int BASE_ENTRY_BYTES = 400;
  private static final int STRING_BYTES = 40; // a compact String and its array's header
  private static final int GROUPS_SET_BYTES = 32;

  private final Cache<String, PlatformToken> cache;

  VerifiedTokenCache(long maximumEntries, long maximumBytes, Clock clock) {
    int floor = (int) Math.min(Integer.MAX_VALUE, Math.max(1, maximumBytes / maximumEntries));
    // Upkeep (evictions, expiry) on the calling thread: no task and wake-up of a pool thread
    // from the event loop every few hundred lookups.
    this.cache = Caffeine.newBuilder()
        .executor(Runnable::run)
        .maximumWeight(maximumBytes)
        .weigher((String key, PlatformToken token) -> Math.max(floor, bytes(token)))
        .expireAfter(Expiry.creating((String key, PlatformToken token) -> {
          Duration left = Duration.between(clock.instant(), token.expiresAt());
          return left.isNegative() ? Duration.ZERO : left;
        }))
        .recordStats()
        .build();
  }

  /** Estimated heap bytes one cached token takes (claims are at most a few hundred bytes). */
  static int bytes(PlatformToken token) {
    long bytes = BASE_ENTRY_BYTES + string(token.agent()) + string(token.tenant())
        + string(token.jti());
    if (!token.groups().isEmpty()) {
      bytes += GROUPS_SET_BYTES;
      for (String group : token.groups()) {
        bytes += 8 + string(group); // its slot in the set and the name
      }
    }
    return (int) Math.min(Integer.MAX_VALUE, bytes);
  }

  private static long string(String value) {
    return STRING_BYTES + ((value.length() + 7L) & ~7L);
  }

  static String key(String token) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      byte[] hash = sha256.digest(token.getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(hash);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }

  PlatformToken get(String key) {
    return cache.getIfPresent(key);
  }

  /** As {@link #get}, not counted in the statistics. */
  PlatformToken peek(String key) {
    return cache.asMap().get(key);
  }

  void put(String key, PlatformToken token) {
    cache.put(key, token);
  }

  void invalidate(String key) {
    cache.invalidate(key);
  }

  void clear() {
    cache.invalidateAll();
  }

  /** Entries now, after pending evictions are applied (for metrics and tests, not the hot path). */
  long size() {
    cache.cleanUp();
    return cache.estimatedSize();
  }

  CacheStats stats() {
    return cache.stats();
  }
}
