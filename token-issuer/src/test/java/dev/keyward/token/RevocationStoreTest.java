package dev.keyward.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.vault.FileKvStore;
import java.nio.file.Path;
import java.time.Clock;
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
    store.revokeToken("new", NOW.plus(TokenIssuer.MAX_TTL));
    RevocationList list = store.load().value();
    assertFalse(list.isTokenRevoked("old"));
    assertTrue(list.isTokenRevoked("new"));
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
