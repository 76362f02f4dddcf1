package dev.keyward.proxy.tokens;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import dev.keyward.token.RevocationStore;
import dev.keyward.token.SigningKeyStore;
import dev.keyward.vault.FileKvStore;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The signing keys are decrypted and checked again only when the stored ones changed. */
class TokenStateTest {

  private static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");

  @TempDir
  Path dir;

  /** A KEK that counts its decryptions: reading the stored keys decrypts each of them. */
  private static final class CountingKek implements Aead {
    final AtomicInteger decryptions = new AtomicInteger();
    private final Aead kek;

    CountingKek(Aead kek) {
      this.kek = kek;
    }

    @Override
    public byte[] encrypt(byte[] plaintext, byte[] associatedData) throws GeneralSecurityException {
      return kek.encrypt(plaintext, associatedData);
    }

    @Override
    public byte[] decrypt(byte[] ciphertext, byte[] associatedData)
        throws GeneralSecurityException {
      decryptions.incrementAndGet();
      return kek.decrypt(ciphertext, associatedData);
    }
  }

  @Test
  void aRefreshReadsTheKeysAgainOnlyWhenTheStoredOnesChanged() throws Exception {
    AeadConfig.register();
    CountingKek kek = new CountingKek(KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM)
        .getPrimitive(RegistryConfiguration.get(), Aead.class));
    FileKvStore kv = new FileKvStore(dir, Clock.systemUTC());
    SigningKeyStore keys = new SigningKeyStore(kv, kek);
    keys.initialize(T0);
    Clock clock = Clock.fixed(T0, ZoneOffset.UTC);
    TokenState state = TokenState.issuing(keys, new RevocationStore(kv), "keyward", clock);
    int afterStart = kek.decryptions.get();

    assertTrue(state.refresh());
    assertTrue(state.refresh());
    assertEquals(afterStart, kek.decryptions.get(), "unchanged keys read again");

    keys.rotate(T0.plusSeconds(60));
    int afterRotation = kek.decryptions.get();
    assertTrue(state.refresh());
    assertTrue(kek.decryptions.get() > afterRotation, "a rotation not picked up");
  }
}
