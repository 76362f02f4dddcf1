package dev.keyward.vault;

import com.google.crypto.tink.Aead;
import java.security.GeneralSecurityException;

/**
 * The unwrapped data key of one credential version, as an opaque Tink primitive bound to that
 * version's associated data. Decrypting with it is local AES-GCM, so requests need no KEK call
 * (no Vault round trip, nothing blocking on the event loop). It never exposes key bytes and prints
 * as {@code DataKey(****)}; the plaintext secret is still produced per request and zeroed after.
 */
public final class DataKey {

  private final Aead aead;
  private final byte[] associatedData;

  DataKey(Aead aead, byte[] associatedData) {
    this.aead = aead;
    this.associatedData = associatedData;
  }

  /** Decrypts {@code credential}'s secret; the caller must destroy it. */
  public Secret decrypt(SealedCredential credential) throws GeneralSecurityException {
    return Secret.wrap(aead.decrypt(credential.sealed().ciphertext(), associatedData));
  }

  @Override
  public String toString() {
    return "DataKey(****)";
  }
}
