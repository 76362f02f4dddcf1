package dev.keyward.vault;

import java.util.Arrays;
import java.util.Objects;

/**
 * A secret sealed by envelope encryption: the ciphertext under a fresh data key, and that data key
 * (a Tink keyset) encrypted by the key-encryption key. Safe to cache, copy and store; useless without
 * the KEK. Never printed beyond its sizes.
 *
 * @param binding what the associated data of both layers covers
 */
public record SealedSecret(byte[] wrappedKey, byte[] ciphertext, Binding binding) {

  /** What a sealed secret's associated data binds it to. */
  public enum Binding {
    /** Tenant, id, version and a digest of the whole spec: nothing beside it can change. */
    SPEC,
    /**
     * Tenant, id and version only, as credentials were sealed before {@code
     * keyward-credential/2}: their provider, injection and allowed domains are not authenticated.
     * Read (with a warning) until the credential's next write replaces them.
     */
    LEGACY_ID_VERSION
  }

  public SealedSecret {
    wrappedKey = wrappedKey.clone();
    ciphertext = ciphertext.clone();
    Objects.requireNonNull(binding, "binding");
  }

  /** A secret sealed with the current binding ({@link Binding#SPEC}). */
  public SealedSecret(byte[] wrappedKey, byte[] ciphertext) {
    this(wrappedKey, ciphertext, Binding.SPEC);
  }

  @Override
  public byte[] wrappedKey() {
    return wrappedKey.clone();
  }

  @Override
  public byte[] ciphertext() {
    return ciphertext.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SealedSecret other && Arrays.equals(wrappedKey, other.wrappedKey)
        && Arrays.equals(ciphertext, other.ciphertext) && binding == other.binding;
  }

  @Override
  public int hashCode() {
    return 31 * (31 * Arrays.hashCode(wrappedKey) + Arrays.hashCode(ciphertext))
        + binding.hashCode();
  }

  @Override
  public String toString() {
    return "SealedSecret[wrappedKey=" + wrappedKey.length + " bytes, ciphertext="
        + ciphertext.length + " bytes, binding=" + binding + "]";
  }
}
