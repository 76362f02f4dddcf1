package dev.keyward.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.vault.FileKvStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RevocationStoreTest {

  static final Instant NOW = TokenVerifierTest.T0;

  @TempDir
  Path dir;

  RevocationStore store;

  @BeforeEach
  void setUp() throws Exception {
    store = new RevocationStore(new FileKvStore(dir, Clock.systemUTC()));
  }

  @Test
  void nothingIsRevokedAtFirst() throws Exception {
    Versioned<RevocationList> list = store.load();
    assertEquals(0, list.version());
    assertFalse(list.value().isTokenRevoked("x"));
  }

  @Test
  void aRevokedTokenIsRevoked() throws Exception {
    store.revokeToken("jti-1", NOW);
    assertTrue(store.load().value().isTokenRevoked("jti-1"));
    assertFalse(store.load().value().isTokenRevoked("jti-2"));
  }

  @Test
  void aDisabledAgentCanBeEnabledAgain() throws Exception {
    store.setAgentDisabled("agent-1", true, NOW);
    assertTrue(store.load().value().isAgentDisabled("agent-1"));
    store.setAgentDisabled("agent-1", false, NOW);
    assertFalse(store.load().value().isAgentDisabled("agent-1"));
  }

  @Test
  void revocationsOfExpiredTokensArePrunedOnTheNextWrite() throws Exception {
    store.revokeToken("old", NOW);
    store.revokeToken("new", NOW.plus(RevocationStore.KEEP_REVOKED));
    RevocationList list = store.load().value();
    assertFalse(list.isTokenRevoked("old"));
    assertTrue(list.isTokenRevoked("new"));
  }

  /**
   * An operator token lives up to 12 hours: its revocation must outlive every later write (each
   * write prunes what has expired), or the token would work again.
   */
  @ParameterizedTest(name = "{0} h later")
  @ValueSource(longs = {1, 2, 12})
  void aRevokedTokenStaysRevokedForAsLongAsAnyTokenCanLive(long hours) throws Exception {
    store.revokeToken("operator-jti", NOW);
    Instant later = NOW.plus(Duration.ofHours(hours)).minusSeconds(1);
    store.revokeToken("another", later);
    assertTrue(store.load().value().isTokenRevoked("operator-jti"));
  }

  @Test
  void concurrentRevocationsAllLand() throws Exception {
    int writers = 6;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<?>> results = new ArrayList<>();
      for (int i = 0; i < writers; i++) {
        String jti = "jti-" + i;
        results.add(pool.submit(() -> {
          start.await();
          store.revokeToken(jti, NOW);
          return null;
        }));
      }
      start.countDown();
      for (Future<?> result : results) {
        result.get(30, TimeUnit.SECONDS);
      }
      RevocationList list = store.load().value();
      for (int i = 0; i < writers; i++) {
        assertTrue(list.isTokenRevoked("jti-" + i), "jti-" + i);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
