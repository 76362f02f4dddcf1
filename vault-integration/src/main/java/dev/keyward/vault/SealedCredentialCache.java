package dev.keyward.vault;

import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import dev.keyward.policies.DomainPattern;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The proxy's cache of sealed credentials (never plaintext), each with its data key unwrapped once
 * at load time (on the I/O executor, since with Vault Transit that is a network call), so a request
 * decrypts locally and needs Vault neither for the blob nor for the key. An entry older than the TTL is
 * refreshed in the background on its next use while the cached copy keeps serving; loads are
 * single-flight per credential, so an expiry never makes a thundering herd. When the store is down
 * the cached copy keeps serving for the stale window after its last successful load, then the entry
 * expires and requests fail closed. A credential that disappears from the store is dropped at its
 * next refresh.
 */
public final class SealedCredentialCache {

  public static final Duration DEFAULT_TTL = Duration.ofSeconds(30);
  public static final Duration DEFAULT_STALE_WINDOW = Duration.ofMinutes(10);
  public static final long DEFAULT_MAXIMUM_SIZE = 100_000;

  /** A cached credential with its allowed domains compiled once and its data key unwrapped. */
  public record Entry(SealedCredential credential, List<DomainPattern> allowedDomains,
      DataKey dataKey) {

    /** The plaintext key for one request; the caller must destroy it. */
    public Secret unseal() throws GeneralSecurityException {
      return dataKey.decrypt(credential);
    }

    /** True when the credential's own allowed domains include {@code normalizedHost}. */
    public boolean allowsHost(String normalizedHost) {
      for (DomainPattern pattern : allowedDomains) {
        if (pattern.matches(normalizedHost)) {
          return true;
        }
      }
      return false;
    }
  }

  private record Key(String tenant, String id) {}

  private final AsyncLoadingCache<Key, Entry> cache;

  /**
   * @param ioExecutor runs the blocking store reads; never an event loop
   * @param ticker the time source of the TTL and the stale window ({@link Tickers#of})
   */
  public SealedCredentialCache(CredentialStore store, Sealer sealer, Executor ioExecutor,
      Duration ttl, Duration staleWindow, long maximumSize, Ticker ticker) {
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(sealer, "sealer");
    if (staleWindow.compareTo(ttl) < 0) {
      throw new IllegalArgumentException("the stale window must not be shorter than the TTL");
    }
    this.cache = Caffeine.newBuilder()
        .executor(ioExecutor)
        .ticker(ticker)
        .maximumSize(maximumSize)
        .refreshAfterWrite(ttl)
        .expireAfterWrite(staleWindow)
        .recordStats()
        .buildAsync(key -> load(store, sealer, key));
  }

  private static Entry load(CredentialStore store, Sealer sealer, Key key)
      throws CredentialStoreException {
    try {
      SealedCredential credential = store.current(key.tenant(), key.id());
      List<DomainPattern> domains =
          credential.metadata().spec().allowedDomains().stream().map(DomainPattern::parse).toList();
      DataKey dataKey;
      try {
        dataKey = sealer.openDataKey(credential);
      } catch (GeneralSecurityException e) {
        throw new CredentialStoreException(CredentialStoreException.Reason.UNAVAILABLE,
            "the data key of " + key.tenant() + "/" + key.id() + " version "
                + credential.metadata().version() + " cannot be unwrapped with the KEK");
      }
      return new Entry(credential, domains, dataKey);
    } catch (CredentialStoreException e) {
      if (e.reason() == CredentialStoreException.Reason.NOT_FOUND) {
        return null; // gone from the store: drop it rather than keep serving a stale copy
      }
      throw e;
    }
  }

  /**
   * The cached credential, loading it if needed. Completes with null when the store has no such
   * credential, and exceptionally with the store's {@link CredentialStoreException} (wrapped) when
   * it cannot be read and no usable cached copy exists.
   */
  public CompletableFuture<Entry> get(String tenant, String id) {
    return cache.get(new Key(tenant, id));
  }

  /** Drops the entry so the next use reads the store (after an admin change on this replica). */
  public void invalidate(String tenant, String id) {
    cache.synchronous().invalidate(new Key(tenant, id));
  }

  public long size() {
    return cache.synchronous().estimatedSize();
  }

  /** Hits, misses, loads and evictions since start, for metrics. */
  public CacheStats stats() {
    return cache.synchronous().stats();
  }

  /**
   * How long ago the stalest cached credential was read from the store: about the TTL while the
   * store answers, growing while it does not (up to the stale window).
   */
  public Duration oldestAge() {
    var expiry = cache.synchronous().policy().expireAfterWrite().orElseThrow();
    return expiry.oldest(1).keySet().stream().findFirst().flatMap(expiry::ageOf)
        .orElse(Duration.ZERO);
  }
}
