package dev.keyward.proxy.console;

import dev.keyward.token.OperatorToken;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Signed-in console users, in this instance's memory. The browser holds only a random session id
 * (in an HttpOnly cookie); the operator token stays here, is verified again on every request (so
 * a revoked token or a removed signing key ends the session), and the session ends when the token
 * expires. A restart signs everyone out.
 */
public final class ConsoleSessions {

  /** Sessions kept at most; the oldest are dropped beyond (a flood of sign-ins cannot grow it). */
  static final int MAX_SESSIONS = 10_000;
  private static final int ID_BYTES = 32;

  /**
   * One session.
   *
   * @param csrf the token every form of this session carries
   */
  public static final class Session {
    private final String id;
    private final String token;
    private final String csrf;
    private final Instant created;
    private volatile OperatorToken operator;
    private volatile String flash;

    Session(String id, String token, OperatorToken operator, String csrf, Instant created) {
      this.id = id;
      this.token = token;
      this.operator = operator;
      this.csrf = csrf;
      this.created = created;
    }

    public String id() {
      return id;
    }

    /** The operator token the user signed in with; never leaves the server. */
    String token() {
      return token;
    }

    public OperatorToken operator() {
      return operator;
    }

    void operator(OperatorToken verified) {
      this.operator = verified;
    }

    public String csrf() {
      return csrf;
    }

    public Instant expiresAt() {
      return operator.expiresAt();
    }

    /** Whether {@code presented} is this session's CSRF token (constant time). */
    public boolean csrfMatches(String presented) {
      return presented != null && MessageDigest.isEqual(
          csrf.getBytes(java.nio.charset.StandardCharsets.US_ASCII),
          presented.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    /** A message for the next page this session sees (what the last change did). */
    public void flash(String message) {
      this.flash = message;
    }

    /** The pending message, once. */
    public String takeFlash() {
      String message = flash;
      flash = null;
      return message;
    }

    @Override
    public String toString() {
      return "Session(" + operator.name() + ", " + operator.role().claim() + ")";
    }
  }

  private final Map<String, Session> sessions = new ConcurrentHashMap<>();
  private final SecureRandom random = new SecureRandom();
  private final Clock clock;

  public ConsoleSessions(Clock clock) {
    this.clock = clock;
  }

  /** Starts a session for a verified operator token. */
  public Session open(String token, OperatorToken operator) {
    Instant now = clock.instant();
    if (sessions.size() >= MAX_SESSIONS) {
      sessions.values().removeIf(s -> !s.expiresAt().isAfter(now));
      while (sessions.size() >= MAX_SESSIONS) {
        sessions.values().stream().min(java.util.Comparator.comparing(s -> s.created))
            .ifPresent(oldest -> sessions.remove(oldest.id));
      }
    }
    Session session = new Session(randomId(), token, operator, randomId(), now);
    sessions.put(session.id, session);
    return session;
  }

  /** The live session with this id; an expired one is removed and not returned. */
  public Optional<Session> find(String id) {
    if (id == null) {
      return Optional.empty();
    }
    Session session = sessions.get(id);
    if (session == null) {
      return Optional.empty();
    }
    if (!session.expiresAt().isAfter(clock.instant())) {
      sessions.remove(id);
      return Optional.empty();
    }
    return Optional.of(session);
  }

  public void close(Session session) {
    sessions.remove(session.id);
  }

  public int size() {
    return sessions.size();
  }

  /** 256 random bits, URL-safe: session ids, CSRF tokens, sign-in nonces. */
  public String randomId() {
    byte[] bytes = new byte[ID_BYTES];
    random.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
