package dev.keyward.vault;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TransitAeadTest {

  static final byte[] PLAINTEXT = "a data key".getBytes(StandardCharsets.UTF_8);
  static final byte[] AD = "keyward/credential/v1|acme|openrouter|1".getBytes(StandardCharsets.UTF_8);

  VaultDouble vault;
  ScheduledExecutorService scheduler;
  VaultSession session;
  TransitAead aead;

  @BeforeEach
  void setUp() throws Exception {
    vault = VaultDouble.start().createTransitKey("keyward-kek").createTransitKey("other");
    scheduler = Executors.newSingleThreadScheduledExecutor();
    session = VaultSessionTest.withToken(vault, VaultDouble.ROOT_TOKEN, scheduler);
    aead = new TransitAead(session, "transit", "keyward-kek");
  }

  @AfterEach
  void tearDown() {
    session.close();
    scheduler.shutdownNow();
    vault.close();
  }

  @Test
  void encryptsAndDecryptsThroughTransit() throws Exception {
    byte[] ciphertext = aead.encrypt(PLAINTEXT, AD);
    assertTrue(new String(ciphertext, StandardCharsets.UTF_8).startsWith("vault:v1:"));
    assertArrayEquals(PLAINTEXT, aead.decrypt(ciphertext, AD));
  }

  @Test
  void decryptWithDifferentAssociatedData_fails() throws Exception {
    byte[] ciphertext = aead.encrypt(PLAINTEXT, AD);
    assertThrows(GeneralSecurityException.class,
        () -> aead.decrypt(ciphertext, "another|binding".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void decryptWithDifferentKey_fails() throws Exception {
    byte[] ciphertext = aead.encrypt(PLAINTEXT, AD);
    TransitAead other = new TransitAead(session, "transit", "other");
    assertThrows(GeneralSecurityException.class, () -> other.decrypt(ciphertext, AD));
  }

  @Test
  void afterRotationOldCiphertextsStillDecryptAndNewOnesUseTheNewVersion() throws Exception {
    byte[] before = aead.encrypt(PLAINTEXT, AD);
    aead.rotate();
    byte[] after = aead.encrypt(PLAINTEXT, AD);
    assertTrue(new String(after, StandardCharsets.UTF_8).startsWith("vault:v2:"));
    assertArrayEquals(PLAINTEXT, aead.decrypt(before, AD));
    assertArrayEquals(PLAINTEXT, aead.decrypt(after, AD));
  }

  @Test
  void somethingThatIsNotATransitCiphertextIsRefusedWithoutAsking() {
    int calls = vault.calls("transit.decrypt");
    assertThrows(GeneralSecurityException.class, () -> aead.decrypt("garbage".getBytes(), AD));
    assertEquals(calls, vault.calls("transit.decrypt"));
  }

  @Test
  void aCiphertextBelowMinDecryptionVersionIsRefusedWithTheFix() throws Exception {
    byte[] old = aead.encrypt(PLAINTEXT, AD);
    aead.rotate();
    vault.transitMinDecryptionVersion("keyward-kek", 2);
    GeneralSecurityException e =
        assertThrows(GeneralSecurityException.class, () -> aead.decrypt(old, AD));
    assertTrue(e.getMessage().contains("min_decryption_version"), e.getMessage());
    assertTrue(e.getMessage().contains("kek rotate"), e.getMessage());
  }

  @Test
  void encryptingWithAnUnknownKeyNeedsCreateOnTheTransitPath() throws Exception {
    vault.policy("encrypt-only", "path \"transit/encrypt/*\" { capabilities = [\"update\"] }");
    vault.appRole("encrypt-only", "encrypt-only-role", "encrypt-only-secret",
        java.util.List.of("encrypt-only"));
    java.nio.file.Path secret = java.nio.file.Files.createTempFile("secret-id", "");
    java.nio.file.Files.writeString(secret, "encrypt-only-secret");
    try (VaultSession limited = VaultSession.open(new VaultSettings(vault.address(),
        java.util.Optional.empty(), java.util.Optional.empty(), VaultSettings.DEFAULT_TIMEOUT,
        new VaultSettings.AppRoleAuth("approle", "encrypt-only-role",
            java.util.Optional.of(secret))), scheduler, java.time.Clock.systemUTC())) {
      GeneralSecurityException e = assertThrows(GeneralSecurityException.class,
          () -> new TransitAead(limited, "transit", "no-such-key").encrypt(PLAINTEXT, AD));
      assertTrue(e.getMessage().contains("transit/encrypt/no-such-key"), e.getMessage());
      assertTrue(e.getMessage().contains("HTTP 403"), e.getMessage());
      assertTrue(new String(new TransitAead(limited, "transit", "keyward-kek")
          .encrypt(PLAINTEXT, AD), StandardCharsets.UTF_8).startsWith("vault:v1:"));
    }
  }

  @Test
  void aVaultFailureIsAnErrorWithTheStatusOnly() {
    vault.failNext(1, 500);
    GeneralSecurityException e =
        assertThrows(GeneralSecurityException.class, () -> aead.encrypt(PLAINTEXT, AD));
    assertTrue(e.getMessage().contains("HTTP 500"), e.getMessage());
    assertFalse(e.getMessage().contains("injected failure"), "a Vault response body leaked");
  }
}
