package dev.keyward.proxy.audit;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.PublicKeySign;
import com.google.crypto.tink.PublicKeyVerify;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.TinkProtoKeysetFormat;
import com.google.crypto.tink.signature.PredefinedSignatureParameters;
import com.google.crypto.tink.signature.SignatureConfig;
import dev.keyward.vault.CasMismatchException;
import dev.keyward.vault.KvException;
import dev.keyward.vault.KvStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

/**
 * The keys that sign audit checkpoints and file anchors: one ECDSA P-256 Tink keyset per instance,
 * separate from the token signing keys. Each instance keeps, under {@code audit/instances/<its
 * name>/}:
 *
 * <ul>
 *   <li>{@code signing-key}: the keyset encrypted under the KEK (associated data binding the
 *       instance), created on the instance's first start. {@code keyward kek rotate} re-wraps it.
 *   <li>{@code public-key}: its public half in the clear, written once and never again. Every
 *       start checks the signing key against it, so a re-wrap cannot swap the key unseen, and
 *       {@code audit verify} trusts it (unless the configuration pins a key: {@code
 *       audit.public_key}).
 * </ul>
 *
 * In Vault, keyward-proxy.hcl lets each instance create and read only its own paths, and neither
 * policy lets anyone update a public key.
 */
public final class AuditKeys {

  static final String ROOT = "audit/instances";
  private static final String AD_PREFIX = "keyward/audit-signing-key/v2|";

  static {
    try {
      SignatureConfig.register();
    } catch (GeneralSecurityException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private AuditKeys() {}

  public static String signingKeyPath(String instance) {
    return ROOT + "/" + instance + "/signing-key";
  }

  public static String publicKeyPath(String instance) {
    return ROOT + "/" + instance + "/public-key";
  }

  private static byte[] associatedData(String instance) {
    return (AD_PREFIX + instance).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The instance's signer, creating its key on first start.
   *
   * @param pinned the public key the configuration pins ({@code audit.public_key}), if any
   * @throws GeneralSecurityException when the stored key is not the instance's write-once public
   *     key or the pinned one: it was replaced, and Keyward will not sign with it
   */
  public static PublicKeySign signer(KvStore kv, Aead kek, String instance,
      Optional<KeysetHandle> pinned) throws KvException, GeneralSecurityException {
    Optional<KvStore.Document> stored = kv.read(signingKeyPath(instance), 0);
    Optional<KeysetHandle> recorded = publicKeyset(kv, instance);
    KeysetHandle keyset;
    if (stored.isEmpty()) {
      if (recorded.isPresent()) {
        throw new GeneralSecurityException("the audit signing key of instance " + instance
            + " is missing from the store, but its public key is there: it was deleted. Restore "
            + signingKeyPath(instance) + " from a backup, or give this instance another name"
            + " (audit.instance)");
      }
      keyset = KeysetHandle.generateNew(PredefinedSignatureParameters.ECDSA_P256);
      try {
        kv.write(signingKeyPath(instance), Map.of("keyset",
            TinkJsonProtoKeysetFormat.serializeEncryptedKeyset(keyset, kek,
                associatedData(instance))), 0);
      } catch (CasMismatchException e) {
        return signer(kv, kek, instance, pinned); // a second process of this instance was first
      }
    } else {
      keyset = TinkJsonProtoKeysetFormat.parseEncryptedKeyset(stored.get().data().get("keyset"),
          kek, associatedData(instance));
    }
    KeysetHandle publicHalf = keyset.getPublicKeysetHandle();
    if (recorded.isEmpty()) {
      try {
        kv.write(publicKeyPath(instance), Map.of("public_keyset",
            TinkJsonProtoKeysetFormat.serializeKeysetWithoutSecret(publicHalf)), 0);
      } catch (CasMismatchException e) {
        recorded = publicKeyset(kv, instance);
      }
    }
    if (recorded.isPresent() && !same(recorded.get(), publicHalf)) {
      throw new GeneralSecurityException("the audit signing key of instance " + instance
          + " in the store does not match its public key: " + signingKeyPath(instance)
          + " was replaced. Keyward will not sign with it; restore it from a backup");
    }
    if (pinned.isPresent() && !same(pinned.get(), publicHalf)) {
      throw new GeneralSecurityException("the audit signing key of instance " + instance
          + " is not the one audit.public_key pins: the store's key was replaced, or the"
          + " configuration names another instance's key");
    }
    return keyset.getPrimitive(RegistryConfiguration.get(), PublicKeySign.class);
  }

  /** The instance's write-once public key from the store; empty before its first start. */
  public static Optional<KeysetHandle> publicKeyset(KvStore kv, String instance)
      throws KvException, GeneralSecurityException {
    Optional<KvStore.Document> stored = kv.read(publicKeyPath(instance), 0);
    if (stored.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(TinkJsonProtoKeysetFormat.parseKeysetWithoutSecret(
        stored.get().data().get("public_keyset")));
  }

  public static PublicKeyVerify verifier(KeysetHandle publicKeyset)
      throws GeneralSecurityException {
    return publicKeyset.getPrimitive(RegistryConfiguration.get(), PublicKeyVerify.class);
  }

  /** Reads a pinned public key (Tink JSON, as {@code keyward audit public-key} prints it). */
  public static KeysetHandle readPublicKeyset(Path file) throws IOException,
      GeneralSecurityException {
    return TinkJsonProtoKeysetFormat.parseKeysetWithoutSecret(
        Files.readString(file, StandardCharsets.UTF_8));
  }

  public static String toJson(KeysetHandle publicKeyset) throws GeneralSecurityException {
    return TinkJsonProtoKeysetFormat.serializeKeysetWithoutSecret(publicKeyset);
  }

  /**
   * Re-wraps every instance's signing key under the KEK's current primary (after {@code keyward
   * kek rotate}): the key itself is unchanged. Returns how many.
   */
  public static int rewrapAll(KvStore kv, Aead kek) throws KvException,
      GeneralSecurityException {
    int count = 0;
    for (String name : kv.list(ROOT)) {
      if (!name.endsWith("/")) {
        continue;
      }
      String instance = name.substring(0, name.length() - 1);
      Optional<KvStore.Document> stored = kv.read(signingKeyPath(instance), 0);
      if (stored.isEmpty()) {
        continue;
      }
      KeysetHandle keyset = TinkJsonProtoKeysetFormat.parseEncryptedKeyset(
          stored.get().data().get("keyset"), kek, associatedData(instance));
      kv.write(signingKeyPath(instance), Map.of("keyset",
          TinkJsonProtoKeysetFormat.serializeEncryptedKeyset(keyset, kek,
              associatedData(instance))), stored.get().version());
      count++;
    }
    return count;
  }

  private static boolean same(KeysetHandle a, KeysetHandle b) throws GeneralSecurityException {
    return Arrays.equals(TinkProtoKeysetFormat.serializeKeysetWithoutSecret(a),
        TinkProtoKeysetFormat.serializeKeysetWithoutSecret(b));
  }
}
