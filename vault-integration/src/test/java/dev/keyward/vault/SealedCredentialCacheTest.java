package dev.keyward.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The sealed-credential cache in front of the Vault store (through the Vault double). Its TTL and
 * stale window run on a clock the tests move by hand.
 */
class SealedCredentialCacheTest {

  static final Duration TTL = Duration.ofSeconds(30);
  static final Duration STALE = Duration.ofMinutes(10);
  static final Duration A_MOMENT = Duration.ofSeconds(1);

  VaultDouble vault;
  ScheduledExecutorService scheduler;
  ExecutorService io;
  VaultSession session;
  CredentialStore store;
  Sealer sealer;
  SealedCredentialCache cache;
  MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));

  @BeforeEach
  void setUp() throws Exception {
    vault = VaultDouble.start().createTransitKey("keyward-kek");
    scheduler = Executors.newSingleThreadScheduledExecutor();
    io = Executors.newFixedThreadPool(4);
    session = VaultSessionTest.withToken(vault, VaultDouble.ROOT_TOKEN, scheduler);
    sealer = new Sealer(new TransitAead(session, "transit", "keyward-kek"));
    store = new VaultCredentialStore(new VaultKvStore(session, "secret", "keyward"), sealer,
        Clock.systemUTC());
    store.create(new CredentialSpec("acme", "openrouter", "openrouter", Injection.bearer(),
        List.of("openrouter.ai"), List.of(), Map.of()),
        Secret.copyOf("sk-cache-test-1".getBytes(StandardCharsets.US_ASCII)), "test");
    cache = new SealedCredentialCache(store, sealer, io, TTL, STALE, 1000, Tickers.of(clock));
  }

  @AfterEach
  void tearDown() {
    session.close();
    scheduler.shutdownNow();
    io.shutdownNow();
    vault.close();
  }

  int version() throws Exception {
    return cache.get("acme", "openrouter").get(5, TimeUnit.SECONDS).credential().metadata().version();
  }

  @Test
  void manyConcurrentRequestsForAnUncachedCredentialMakeOneStoreRead() throws Exception {
    vault.latency(Duration.ofMillis(200));
    int before = vault.calls("kv.read");
    List<CompletableFuture<SealedCredentialCache.Entry>> requests = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      requests.add(cache.get("acme", "openrouter"));
    }
    for (CompletableFuture<SealedCredentialCache.Entry> request : requests) {
      assertEquals(1, request.get(10, TimeUnit.SECONDS).credential().metadata().version());
    }
    assertEquals(1, vault.calls("kv.read") - before, "the herd reached the store");
  }

  @Test
  void aRotationIsPickedUpAfterTheTtl() throws Exception {
    assertEquals(1, version());
    store.rotate("acme", "openrouter", Secret.copyOf("sk-cache-test-2".getBytes(StandardCharsets.US_ASCII)),
        "test");
    clock.advance(TTL.minus(A_MOMENT));
    assertEquals(1, version(), "within the TTL the cached version serves");
    clock.advance(A_MOMENT.multipliedBy(2));
    assertEquals(1, version(), "past the TTL the cached copy serves while the refresh runs");
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> version() == 2);
  }

  @Test
  void withVaultDownTheCachedCopyServesUntilTheStaleWindowEndsThenItFailsClosed()
      throws Exception {
    assertEquals(1, version());
    vault.down();
    clock.advance(TTL.plus(A_MOMENT));
    assertEquals(1, version(), "stale but within the window");
    awaitRefreshFailures(1);
    clock.advance(STALE.minus(TTL).minus(A_MOMENT.multipliedBy(2)));
    assertEquals(1, version(), "stale, at the end of the window");
    awaitRefreshFailures(2);
    clock.advance(A_MOMENT.multipliedBy(2));
    ExecutionException e = assertThrows(ExecutionException.class, this::version);
    assertTrue(e.getCause() instanceof CredentialStoreException, e.toString());
    assertEquals(CredentialStoreException.Reason.UNAVAILABLE,
        ((CredentialStoreException) e.getCause()).reason());
  }

  /**
   * A refresh in flight keeps its entry from expiring (Caffeine holds it while the store is
   * asked), so the clock moves on only once each failed refresh is over.
   */
  void awaitRefreshFailures(long count) {
    Awaitility.await("failed refreshes").atMost(Duration.ofSeconds(20))
        .until(() -> cache.stats().loadFailureCount() >= count);
  }

  @Test
  void withVaultDownACachedCredentialStillUnsealsWithoutAnyVaultCall() throws Exception {
    SealedCredentialCache.Entry entry = cache.get("acme", "openrouter").get(5, TimeUnit.SECONDS);
    vault.down();
    try (Secret secret = entry.unseal()) {
      assertEquals("sk-cache-test-1", secret.text(InsecureSecretAccess.get()));
    }
    assertTrue(entry.dataKey().toString().contains("****"));
  }

  @Test
  void anUnknownCredentialIsNullAndNotAnError() throws Exception {
    assertNull(cache.get("acme", "missing").get(5, TimeUnit.SECONDS));
  }
}
