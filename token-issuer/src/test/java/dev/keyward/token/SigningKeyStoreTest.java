package dev.keyward.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.crypto.tink.Aead;
import dev.keyward.vault.FileKvStore;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SigningKeyStoreTest {

  @TempDir
  Path dir;

  SigningKeyStore store;

  @BeforeEach
  void setUp() throws Exception {
    SigningKeysTest.registerAead();
    Aead kek = SigningKeysTest.newKek();
    store = new SigningKeyStore(new FileKvStore(dir, Clock.systemUTC()), kek);
  }

  @Test
  void initialiseCreatesKeysOnceAndThenReturnsThem() throws Exception {
    SigningKeys first = store.initialize(TokenVerifierTest.T0);
    SigningKeys second = store.initialize(TokenVerifierTest.T0.plusSeconds(60));
    assertEquals(first.primaryKid(), second.primaryKid());
    assertEquals(1, store.load().orElseThrow().version());
  }

  @Test
  void rotationWritesANewVersionWithANewPrimaryAndKeepsTheOldKey() throws Exception {
    SigningKeys first = store.initialize(TokenVerifierTest.T0);
    SigningKeys rotated = store.rotate(TokenVerifierTest.T0.plusSeconds(60));
    assertNotEquals(first.primaryKid(), rotated.primaryKid());
    Versioned<SigningKeys> stored = store.load().orElseThrow();
    assertEquals(2, stored.version());
    assertTrue(stored.value().publicKeys().kids().contains(first.primaryKid()));
  }
}
