package dev.keyward.token;

import com.google.crypto.tink.Aead;
import dev.keyward.vault.CasMismatchException;
import dev.keyward.vault.KvException;
import dev.keyward.vault.KvStore;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The signing keys in the shared store (encrypted under the KEK), so every replica that issues
 * tokens signs with the same keys and every verifier sees a rotation. Writes are check-and-set.
 */
public final class SigningKeyStore {

  public static final String PATH = "tokens/signing-keys";
  private static final String FIELD = "signing_keys";
  private static final int CAS_ATTEMPTS = 5;

  private final KvStore kv;
  private final Aead kek;

  public SigningKeyStore(KvStore kv, Aead kek) {
    this.kv = kv;
    this.kek = kek;
  }

  /** The stored keys, or empty before {@link #initialize}. */
  public Optional<Versioned<SigningKeys>> load() throws KvException, GeneralSecurityException {
    Optional<KvStore.Document> document = kv.read(PATH, 0);
    if (document.isEmpty()) {
      return Optional.empty();
    }
    String json = document.get().data().get(FIELD);
    if (json == null) {
      throw new GeneralSecurityException("the document at " + PATH + " holds no signing keys");
    }
    return Optional.of(new Versioned<>(document.get().version(), SigningKeys.fromJson(json, kek)));
  }

  /**
   * The version of the stored keys, read without decrypting or checking them (which takes ~10 ms
   * of CPU); empty before {@link #initialize}.
   */
  public OptionalInt version() throws KvException {
    Optional<KvStore.Document> document = kv.read(PATH, 0);
    return document.isEmpty() ? OptionalInt.empty() : OptionalInt.of(document.get().version());
  }

  /** Creates the first key if there is none yet; returns the current keys either way. */
  public SigningKeys initialize(Instant now) throws KvException, GeneralSecurityException {
    Optional<Versioned<SigningKeys>> existing = load();
    if (existing.isPresent()) {
      return existing.get().value();
    }
    SigningKeys keys = SigningKeys.generate(now);
    try {
      kv.write(PATH, Map.of(FIELD, keys.toJson(kek)), 0);
      return keys;
    } catch (CasMismatchException e) {
      return load().orElseThrow().value(); // another process initialised it first
    }
  }

  /**
   * Adds a new primary key and drops keys retired longer than {@link SigningKeys#RETENTION} ago.
   *
   * @throws KvException when the store cannot be written or too many writers race
   */
  public SigningKeys rotate(Instant now) throws KvException, GeneralSecurityException {
    for (int attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      Versioned<SigningKeys> current = load().orElseThrow(
          () -> new KvException("no signing keys at " + PATH + "; initialise them first"));
      SigningKeys rotated = current.value().rotate(now);
      try {
        kv.write(PATH, Map.of(FIELD, rotated.toJson(kek)), current.version());
        return rotated;
      } catch (CasMismatchException e) {
        // someone else rotated at the same moment: rotate on top of theirs
      }
    }
    throw new KvException("too many concurrent signing-key rotations");
  }

  /** Re-encrypts the stored keys under the KEK's current primary key (after a KEK rotation). */
  public void rewrap() throws KvException, GeneralSecurityException {
    for (int attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      Optional<Versioned<SigningKeys>> current = load();
      if (current.isEmpty()) {
        return;
      }
      try {
        kv.write(PATH, Map.of(FIELD, current.get().value().toJson(kek)), current.get().version());
        return;
      } catch (CasMismatchException e) {
        // rotated meanwhile: rewrap the newer keys
      }
    }
    throw new KvException("too many concurrent writes to the signing keys");
  }
}
