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
 * token text). Bounded in size; each entry lives until its token expires, so a busy agent pays for
 * one signature check per token rather than per request.
 */
final class VerifiedTokenCache {

  private final Cache<String, PlatformToken> cache;

  VerifiedTokenCache(long maximumSize, Clock clock) {
    this.cache = Caffeine.newBuilder()
        .maximumSize(maximumSize)
        .expireAfter(Expiry.creating((String key, PlatformToken token) -> {
          Duration left = Duration.between(clock.instant(), token.expiresAt());
          return left.isNegative() ? Duration.ZERO : left;
        }))
        .recordStats()
        .build();
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

  void put(String key, PlatformToken token) {
    cache.put(key, token);
  }

  void invalidate(String key) {
    cache.invalidate(key);
  }

  void clear() {
    cache.invalidateAll();
  }

  long size() {
    return cache.estimatedSize();
  }

  CacheStats stats() {
    return cache.stats();
  }
}
