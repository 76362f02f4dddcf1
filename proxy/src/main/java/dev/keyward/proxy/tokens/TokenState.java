package dev.keyward.proxy.tokens;

import dev.keyward.token.PublicKeys;
import dev.keyward.token.RevocationList;
import dev.keyward.token.RevocationStore;
import dev.keyward.token.Revocations;
import dev.keyward.token.SigningKeyStore;
import dev.keyward.token.SigningKeys;
import dev.keyward.token.TokenIssuer;
import dev.keyward.token.TokenVerifier;
import dev.keyward.token.Versioned;
import dev.keyward.vault.KvException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This replica's view of the shared token state: signing keys (or, verify-only, a JWK set file)
 * and revocations. {@link #refresh()} runs every {@code tokens.refresh_interval}, so a revocation
 * or a key rotation written by any replica or the CLI takes effect here within that interval. If
 * the store cannot be read, the last good state stays in force and the failure is logged.
 */
public final class TokenState implements Revocations {

  private static final Logger LOG = LoggerFactory.getLogger(TokenState.class);

  private final SigningKeyStore signingKeys;
  private final Path jwksFile;
  private final RevocationStore revocationStore;
  private final String issuerName;
  private final Clock clock;

  private volatile RevocationList revocations = RevocationList.EMPTY;
  private volatile PublicKeys publicKeys;
  private volatile TokenIssuer issuer;
  private volatile TokenVerifier verifier;
  private int revocationsVersion = -1;
  private volatile boolean failing;
  private final AtomicLong refreshFailures = new AtomicLong();
  private int keysVersion = -1;
  /** The keys as stored at {@link #keysVersion}, before pruning. */
  private SigningKeys storedKeys;
  private String jwksContent;

  private TokenState(SigningKeyStore signingKeys, Path jwksFile, RevocationStore revocationStore,
      String issuerName, Clock clock) {
    this.signingKeys = signingKeys;
    this.jwksFile = jwksFile;
    this.revocationStore = revocationStore;
    this.issuerName = issuerName;
    this.clock = clock;
  }

  /** Issuing mode: signing keys from the store; this replica can mint tokens. */
  public static TokenState issuing(SigningKeyStore signingKeys, RevocationStore revocations,
      String issuerName, Clock clock) throws KvException, GeneralSecurityException, IOException {
    TokenState state = new TokenState(signingKeys, null, revocations, issuerName, clock);
    state.load();
    return state;
  }

  /** Verify-only mode: public keys from a JWK set file; this replica cannot mint tokens. */
  public static TokenState verifying(Path jwksFile, RevocationStore revocations, String issuerName,
      Clock clock) throws KvException, GeneralSecurityException, IOException {
    TokenState state = new TokenState(null, jwksFile, revocations, issuerName, clock);
    state.load();
    return state;
  }

  /** Connects the verifier whose keys this state keeps current. */
  public void attach(TokenVerifier tokenVerifier) {
    this.verifier = tokenVerifier;
  }

  public PublicKeys publicKeys() {
    return publicKeys;
  }

  /** The issuer with the current primary key, or empty in verify-only mode. */
  public Optional<TokenIssuer> issuer() {
    return Optional.ofNullable(issuer);
  }

  @Override
  public boolean isTokenRevoked(String jti) {
    return revocations.isTokenRevoked(jti);
  }

  @Override
  public boolean isAgentDisabled(String agent) {
    return revocations.isAgentDisabled(agent);
  }

  /**
   * Re-reads keys and revocations; keeps the last good state when the store fails. A failure is
   * logged when it starts and when it ends, not on every interval in between.
   *
   * @return false when the store could not be read (the last good state stays in force)
   */
  public synchronized boolean refresh() {
    try {
      load();
      if (failing) {
        LOG.info("token state refresh works again");
        failing = false;
      }
      return true;
    } catch (KvException | GeneralSecurityException | IOException | RuntimeException e) {
      refreshFailures.incrementAndGet();
      if (!failing) {
        LOG.warn("token state refresh failed; keeping the last good state until it works: {}",
            e.getMessage());
        failing = true;
      }
      return false;
    }
  }

  /** False while the store cannot be read (the last good state is in force meanwhile). */
  public boolean storeReachable() {
    return !failing;
  }

  /** Failed refreshes since start, for the metrics. */
  public long refreshFailures() {
    return refreshFailures.get();
  }

  private synchronized void load() throws KvException, GeneralSecurityException, IOException {
    Versioned<RevocationList> latest = revocationStore.load();
    if (latest.version() != revocationsVersion) {
      revocations = latest.value();
      revocationsVersion = latest.version();
    }
    if (signingKeys != null) {
      loadSigningKeys();
    } else {
      loadJwks();
    }
  }

  private void loadSigningKeys() throws KvException, GeneralSecurityException {
    // Decrypted and checked again only when the stored version changed, not at every refresh.
    boolean changed = storedKeys == null
        || signingKeys.version().orElse(-1) != keysVersion;
    if (changed) {
      Versioned<SigningKeys> stored = signingKeys.load().orElseThrow(
          () -> new GeneralSecurityException("no signing keys in the store; run `keyward dev`"
              + " once or `keyward token rotate-signing-key` to create them"));
      storedKeys = stored.value();
      keysVersion = stored.version();
    }
    // Pruned here too, so a retired key stops verifying on time even if nobody rotates again.
    SigningKeys current = storedKeys.prune(clock.instant());
    if (changed || !current.publicKeys().kids().equals(kids())) {
      publish(current.publicKeys());
      issuer = new TokenIssuer(current, issuerName, clock);
      LOG.info("token signing keys loaded: primary {}, {} verifying", current.primaryKid(),
          current.size());
    }
  }

  private void loadJwks() throws IOException, GeneralSecurityException {
    String content = Files.readString(jwksFile);
    if (!content.equals(jwksContent)) {
      publish(PublicKeys.fromJwks(content, Set.of()));
      jwksContent = content;
      LOG.info("token verification keys loaded from {}", jwksFile);
    }
  }

  private Set<String> kids() {
    return publicKeys == null ? Set.of() : publicKeys.kids();
  }

  private void publish(PublicKeys keys) {
    publicKeys = keys;
    TokenVerifier attached = verifier;
    if (attached != null) {
      attached.updateKeys(keys);
    }
  }
}
