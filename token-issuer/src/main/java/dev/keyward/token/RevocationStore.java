package dev.keyward.token;

import dev.keyward.vault.CasMismatchException;
import dev.keyward.vault.KvException;
import dev.keyward.vault.KvStore;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Revocations in the shared store: one document every replica polls. Writes are check-and-set, so
 * two operators revoking at once both land.
 */
public final class RevocationStore {

  public static final String PATH = "tokens/revocations";
  /**
   * How long a token revocation is kept: the longest any token Keyward issues can live (an
   * operator token), plus the clock skew verifiers accept. A revocation pruned any earlier would
   * let a longer-lived token with that id work again.
   */
  public static final Duration KEEP_REVOKED =
      max(TokenIssuer.MAX_TTL, TokenIssuer.MAX_OPERATOR_TTL).plus(TokenVerifier.MAX_CLOCK_SKEW);
  private static final int CAS_ATTEMPTS = 8;

  private final KvStore kv;

  public RevocationStore(KvStore kv) {
    this.kv = kv;
  }

  /** The current list; version 0 with an empty list when nothing was ever revoked. */
  public Versioned<RevocationList> load() throws KvException {
    Optional<KvStore.Document> document = kv.read(PATH, 0);
    if (document.isEmpty()) {
      return new Versioned<>(0, RevocationList.EMPTY);
    }
    try {
      return new Versioned<>(document.get().version(), RevocationList.fromData(document.get().data()));
    } catch (IOException | RuntimeException e) {
      throw new KvException("the revocation list at " + PATH + " is corrupt");
    }
  }

  /**
   * Revokes the token {@code jti}. Its entry is kept until {@code now +} {@link #KEEP_REVOKED}, by
   * when any token with that id has expired.
   */
  public void revokeToken(String jti, Instant now) throws KvException {
    if (jti == null || jti.isBlank() || jti.length() > 128) {
      throw new IllegalArgumentException("a token id (jti) is 1 to 128 characters");
    }
    update(list -> list.pruned(now).withToken(jti, now.plus(KEEP_REVOKED)));
  }

  /** Disables (or re-enables) an agent: all its tokens are refused, none can be exchanged. */
  public void setAgentDisabled(String agent, boolean disabled, Instant now) throws KvException {
    update(list -> list.pruned(now).withAgent(agent, disabled));
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  private void update(UnaryOperator<RevocationList> change) throws KvException {
    for (int attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      Versioned<RevocationList> current = load();
      try {
        kv.write(PATH, change.apply(current.value()).toData(), current.version());
        return;
      } catch (CasMismatchException e) {
        // another revocation landed first: apply ours on top of it
      }
    }
    throw new KvException("too many concurrent revocations");
  }
}
