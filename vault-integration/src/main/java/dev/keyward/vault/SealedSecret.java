package dev.keyward.vault;

import java.util.Arrays;

/**
 * A secret sealed by envelope encryption: the ciphertext under a fresh data key, and that data key
 * (a Tink keyset) encrypted by the key-encryption key. Safe to cache, copy and store; useless without
 * the KEK. Never printed beyond its sizes.
 */
public record SealedSecret(byte[] wrappedKey, byte[] ciphertext) {

  public SealedSecret {
    wrappedKey = wrappedKey.clone();
    ciphertext = ciphertext.clone();
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
        && Arrays.equals(ciphertext, other.ciphertext);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(wrappedKey) + Arrays.hashCode(ciphertext);
  }

  @Override
  public String toString() {
    return "SealedSecret[wrappedKey=" + wrappedKey.length + " bytes, ciphertext="
        + ciphertext.length + " bytes]";
  }
}
