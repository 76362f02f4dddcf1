package dev.keyward.proxy.audit;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.PublicKeySign;
import com.google.crypto.tink.PublicKeyVerify;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.signature.PredefinedSignatureParameters;
import com.google.crypto.tink.signature.SignatureConfig;
import dev.keyward.vault.CasMismatchException;
import dev.keyward.vault.KvException;
import dev.keyward.vault.KvStore;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Map;
import java.util.Optional;

/**
 * The key that signs audit checkpoints: an ECDSA P-256 Tink keyset, separate from the token
 * signing keys, kept in the shared store encrypted under the KEK. Its public half is stored beside
 * it in the clear, so verifying a log needs no KEK.
 */
public final class AuditKeys {

  public static final String PATH = "audit/signing-key";
  private static final byte[] AD = "keyward/audit-signing-key".getBytes(StandardCharsets.UTF_8);

  static {
    try {
      SignatureConfig.register();
    } catch (GeneralSecurityException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private AuditKeys() {}

  /** The signer, creating the key on first use. */
  public static PublicKeySign signer(KvStore kv, Aead kek) throws KvException,
      GeneralSecurityException {
    Optional<KvStore.Document> stored = kv.read(PATH, 0);
    KeysetHandle keyset;
    if (stored.isPresent()) {
      keyset = TinkJsonProtoKeysetFormat.parseEncryptedKeyset(stored.get().data().get("keyset"),
          kek, AD);
    } else {
      keyset = KeysetHandle.generateNew(PredefinedSignatureParameters.ECDSA_P256);
      try {
        kv.write(PATH, Map.of(
            "keyset", TinkJsonProtoKeysetFormat.serializeEncryptedKeyset(keyset, kek, AD),
            "public_keyset", TinkJsonProtoKeysetFormat.serializeKeysetWithoutSecret(
                keyset.getPublicKeysetHandle())), 0);
      } catch (CasMismatchException e) {
        return signer(kv, kek); // another replica created it first: use theirs
      }
    }
    return keyset.getPrimitive(RegistryConfiguration.get(), PublicKeySign.class);
  }

  /** The verifier, from the public half only; empty when no checkpoint was ever signed. */
  public static Optional<PublicKeyVerify> verifier(KvStore kv) throws KvException,
      GeneralSecurityException {
    Optional<KvStore.Document> stored = kv.read(PATH, 0);
    if (stored.isEmpty()) {
      return Optional.empty();
    }
    KeysetHandle publicKeys = TinkJsonProtoKeysetFormat.parseKeysetWithoutSecret(
        stored.get().data().get("public_keyset"));
    return Optional.of(publicKeys.getPrimitive(RegistryConfiguration.get(), PublicKeyVerify.class));
  }
}
