package dev.keyward.vault;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkProtoKeysetFormat;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Objects;

/**
 * Envelope encryption for credentials. Each seal makes a fresh AES-256-GCM data key (a Tink
 * keyset), encrypts the secret with it, and stores the data key encrypted by the key-encryption
 * key (KEK: Vault Transit, or a local keyset). Both layers use associated data binding the
 * ciphertext to {@code tenant|id|version} and to a SHA-256 digest of the credential's spec
 * (provider, injection, allowed domains, models, labels), so a blob copied to another credential
 * or version, or left in place while the fields beside it are edited, does not decrypt.
 */
public final class Sealer {

  private static final String AD_PREFIX = "keyward/credential/v2|";
  private static final String LEGACY_AD_PREFIX = "keyward/credential/v1|";

  static {
    try {
      AeadConfig.register();
    } catch (GeneralSecurityException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Aead kek;

  public Sealer(Aead kek) {
    this.kek = Objects.requireNonNull(kek, "kek");
  }

  /**
   * The associated data for one credential version: names exclude '|' and the digest is hex, so
   * it is unambiguous.
   */
  public static byte[] associatedData(CredentialSpec spec, int version) {
    return (AD_PREFIX + spec.tenant() + "|" + spec.id() + "|" + version + "|"
        + SpecDigest.of(spec)).getBytes(StandardCharsets.UTF_8);
  }

  /** What credentials sealed before the spec was bound used ({@code keyward-credential/1}). */
  static byte[] legacyAssociatedData(String tenant, String id, int version) {
    return (LEGACY_AD_PREFIX + tenant + "|" + id + "|" + version).getBytes(StandardCharsets.UTF_8);
  }

  /** Seals {@code secret} as version {@code version} of the credential {@code spec} describes. */
  public SealedSecret seal(Secret secret, CredentialSpec spec, int version)
      throws GeneralSecurityException {
    byte[] ad = associatedData(spec, version);
    KeysetHandle dataKey = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM);
    byte[] ciphertext = dataKey.getPrimitive(RegistryConfiguration.get(), Aead.class)
        .encrypt(secret.rawBytes(), ad);
    byte[] wrappedKey = TinkProtoKeysetFormat.serializeEncryptedKeyset(dataKey, kek, ad);
    return new SealedSecret(wrappedKey, ciphertext, SealedSecret.Binding.SPEC);
  }

  /**
   * Decrypts a stored credential. The caller owns the returned secret and must {@link
   * Secret#destroy()} it when the request is done.
   *
   * @throws GeneralSecurityException when the KEK or the binding does not match
   */
  public Secret unseal(SealedCredential credential) throws GeneralSecurityException {
    return openDataKey(credential).decrypt(credential);
  }

  /**
   * Unwraps the data key of {@code credential} with the KEK: a Vault Transit call when the KEK is
   * in Vault, so call it off the event loop. The proxy's cache does, once per credential version.
   *
   * @throws GeneralSecurityException when the KEK or the binding does not match
   */
  public DataKey openDataKey(SealedCredential credential) throws GeneralSecurityException {
    CredentialMetadata m = credential.metadata();
    byte[] ad = credential.sealed().binding() == SealedSecret.Binding.SPEC
        ? associatedData(m.spec(), m.version())
        : legacyAssociatedData(m.tenant(), m.id(), m.version());
    KeysetHandle dataKey =
        TinkProtoKeysetFormat.parseEncryptedKeyset(credential.sealed().wrappedKey(), kek, ad);
    return new DataKey(dataKey.getPrimitive(RegistryConfiguration.get(), Aead.class), ad);
  }
}
