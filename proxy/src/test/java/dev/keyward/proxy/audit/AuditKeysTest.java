package dev.keyward.proxy.audit;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.PublicKeySign;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.signature.PredefinedSignatureParameters;
import dev.keyward.vault.FileKvStore;
import dev.keyward.vault.KvStore;
import dev.keyward.vault.LocalKek;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each instance's audit signing key: its own, created once, never swapped unseen. */
class AuditKeysTest {

  static final byte[] MESSAGE = "checkpoint".getBytes(StandardCharsets.UTF_8);

  @TempDir
  Path dir;

  KvStore kv;
  Aead kek;

  @BeforeEach
  void setUp() throws Exception {
    LocalKek.create(dir.resolve("kek.json"));
    kek = LocalKek.load(dir.resolve("kek.json"));
    kv = new FileKvStore(dir.resolve("store"), Clock.systemUTC());
  }

  @Test
  void eachInstanceSignsWithItsOwnKey() throws Exception {
    byte[] signature = AuditKeys.signer(kv, kek, "a", Optional.empty()).sign(MESSAGE);
    AuditKeys.signer(kv, kek, "b", Optional.empty());
    assertDoesNotThrow(() -> AuditKeys.verifier(AuditKeys.publicKeyset(kv, "a").orElseThrow())
        .verify(signature, MESSAGE));
    assertThrows(GeneralSecurityException.class, () -> AuditKeys.verifier(
        AuditKeys.publicKeyset(kv, "b").orElseThrow()).verify(signature, MESSAGE));
  }

  @Test
  void aRestartSignsWithTheSameKey() throws Exception {
    byte[] first = AuditKeys.signer(kv, kek, "a", Optional.empty()).sign(MESSAGE);
    PublicKeySign again = AuditKeys.signer(kv, kek, "a", Optional.empty());
    assertDoesNotThrow(() -> AuditKeys.verifier(AuditKeys.publicKeyset(kv, "a").orElseThrow())
        .verify(again.sign(MESSAGE), MESSAGE));
    assertDoesNotThrow(() -> AuditKeys.verifier(AuditKeys.publicKeyset(kv, "a").orElseThrow())
        .verify(first, MESSAGE));
  }

  @Test
  void aSigningKeyReplacedInTheStoreIsRefusedAtStart() throws Exception {
    AuditKeys.signer(kv, kek, "a", Optional.empty());
    // Someone who can write the store and use the KEK plants a key they know.
    KeysetHandle planted = KeysetHandle.generateNew(PredefinedSignatureParameters.ECDSA_P256);
    int version = kv.read(AuditKeys.signingKeyPath("a"), 0).orElseThrow().version();
    kv.write(AuditKeys.signingKeyPath("a"), Map.of("keyset",
        TinkJsonProtoKeysetFormat.serializeEncryptedKeyset(planted, kek,
            "keyward/audit-signing-key/v2|a".getBytes(StandardCharsets.UTF_8))), version);
    GeneralSecurityException e = assertThrows(GeneralSecurityException.class,
        () -> AuditKeys.signer(kv, kek, "a", Optional.empty()));
    assertTrue(e.getMessage().contains("does not match its public key"), e.getMessage());
  }

  @Test
  void aKeyOtherThanThePinnedOneIsRefusedAtStart() throws Exception {
    AuditKeys.signer(kv, kek, "a", Optional.empty());
    KeysetHandle other = KeysetHandle.generateNew(PredefinedSignatureParameters.ECDSA_P256)
        .getPublicKeysetHandle();
    GeneralSecurityException e = assertThrows(GeneralSecurityException.class,
        () -> AuditKeys.signer(kv, kek, "a", Optional.of(other)));
    assertTrue(e.getMessage().contains("audit.public_key"), e.getMessage());
    assertDoesNotThrow(() -> AuditKeys.signer(kv, kek, "a",
        AuditKeys.publicKeyset(kv, "a")));
  }

  @Test
  void aDeletedSigningKeyIsNotSilentlyReplacedByANewOne() throws Exception {
    AuditKeys.signer(kv, kek, "a", Optional.empty());
    KvStore withoutSigningKey = new FileKvStore(dir.resolve("store2"), Clock.systemUTC());
    withoutSigningKey.write(AuditKeys.publicKeyPath("a"),
        kv.read(AuditKeys.publicKeyPath("a"), 0).orElseThrow().data(), 0);
    GeneralSecurityException e = assertThrows(GeneralSecurityException.class,
        () -> AuditKeys.signer(withoutSigningKey, kek, "a", Optional.empty()));
    assertTrue(e.getMessage().contains("missing"), e.getMessage());
  }

  @Test
  void rewrappingKeepsEveryInstancesKey() throws Exception {
    byte[] before = AuditKeys.signer(kv, kek, "a", Optional.empty()).sign(MESSAGE);
    AuditKeys.signer(kv, kek, "b", Optional.empty());
    LocalKek.rotate(dir.resolve("kek.json"));
    Aead rotated = LocalKek.load(dir.resolve("kek.json"));
    String wrapped = kv.read(AuditKeys.signingKeyPath("a"), 0).orElseThrow().data().get("keyset");
    org.junit.jupiter.api.Assertions.assertEquals(2, AuditKeys.rewrapAll(kv, rotated));
    assertFalse(wrapped.equals(kv.read(AuditKeys.signingKeyPath("a"), 0).orElseThrow().data()
        .get("keyset")), "not re-wrapped");
    byte[] after = AuditKeys.signer(kv, rotated, "a", Optional.empty()).sign(MESSAGE);
    assertDoesNotThrow(() -> AuditKeys.verifier(AuditKeys.publicKeyset(kv, "a").orElseThrow())
        .verify(after, MESSAGE));
    assertDoesNotThrow(() -> AuditKeys.verifier(AuditKeys.publicKeyset(kv, "a").orElseThrow())
        .verify(before, MESSAGE));
  }
}
