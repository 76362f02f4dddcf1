package dev.keyward.vault;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.jopenlibs.vault.SslConfig;
import io.github.jopenlibs.vault.Vault;
import io.github.jopenlibs.vault.VaultConfig;
import io.github.jopenlibs.vault.VaultException;
import io.github.jopenlibs.vault.response.AuthResponse;
import io.github.jopenlibs.vault.response.LogicalResponse;
import io.github.jopenlibs.vault.response.LookupResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An authenticated connection to Vault through the Vault Java Driver: logs in (token, AppRole or
 * Kubernetes), renews the token before it expires and logs in again when renewing no longer can
 * (past {@code token_max_ttl}, or a failed renewal), and tells an expired or revoked token (which
 * it replaces, one login for all callers) from a policy denial (a clear error naming the path and
 * the capability). Tokens it obtained by logging in are revoked when replaced and at {@link
 * #close()}. The token is never logged and never appears in an exception message.
 *
 * <p>Every method blocks on the network: call from worker threads only.
 */
public final class VaultSession implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(VaultSession.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Renew (or log in again) when this fraction of the token's lifetime is left. */
  private static final double RENEW_AT_REMAINING = 0.5;
  private static final Duration MIN_RENEW_DELAY = Duration.ofSeconds(1);
  /** After a failed login, the next attempt. */
  static final Duration RETRY_DELAY = Duration.ofSeconds(5);
  /** Vault asks clients to retry a 412 (a standby not yet caught up) after a little while. */
  private static final int PRECONDITION_RETRIES = 3;
  private static final Duration PRECONDITION_BACKOFF = Duration.ofMillis(50);

  /** One Vault API call, given the current client. */
  @FunctionalInterface
  public interface Call<T> {
    T run(Vault vault) throws VaultException, KvException;
  }

  /** Runs renewals: a {@link ScheduledExecutorService} in production, a manual one in tests. */
  @FunctionalInterface
  public interface Scheduler {
    /** Runs {@code task} once after {@code delay}; the returned handle cancels it. */
    Runnable schedule(Runnable task, Duration delay);

    static Scheduler of(ScheduledExecutorService executor) {
      return (task, delay) -> {
        ScheduledFuture<?> future =
            executor.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
        return () -> future.cancel(false);
      };
    }
  }

  /**
   * One token: the client using it, which login produced it (to replace it once however many
   * callers find it expired), and what is known of its lifetime.
   *
   * @param owned obtained by a login here (revoked when replaced or closed), not given to Keyward
   * @param ttl the lifetime a fresh token gets; a renewal granting less is capped by the max TTL
   */
  private record Token(Vault vault, long generation, boolean owned, Instant expiresAt,
      long ttl, boolean renewable) {}

  private final VaultSettings settings;
  private final AtomicLong errors = new AtomicLong();
  private final Scheduler scheduler;
  private final Clock clock;
  private final Object loginLock = new Object();
  private volatile Token token;
  private Runnable renewal = () -> {};
  private boolean closed;

  private VaultSession(VaultSettings settings, Scheduler scheduler, Clock clock) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Logs in and schedules renewal.
   *
   * @param scheduler runs renewals; a single background thread is enough
   * @throws KvException when Vault cannot be reached or refuses the login
   */
  public static VaultSession open(VaultSettings settings, ScheduledExecutorService scheduler,
      Clock clock) throws KvException {
    return open(settings, Scheduler.of(scheduler), clock);
  }

  /** As {@link #open(VaultSettings, ScheduledExecutorService, Clock)} with any scheduler. */
  public static VaultSession open(VaultSettings settings, Scheduler scheduler, Clock clock)
      throws KvException {
    if (settings.insecure() && settings.plainHttp()) {
      LOG.warn("vault.insecure is on: Vault at {} is reached over plain HTTP; Vault tokens, the"
          + " AppRole secret id and every data key sent to Transit cross the network in the clear",
          settings.address());
    }
    VaultSession session = new VaultSession(settings, scheduler, clock);
    synchronized (session.loginLock) {
      session.replaceToken(null);
    }
    return session;
  }

  /**
   * Runs {@code call}. A 403 is looked into: if the token is no longer valid (lookup-self is
   * refused with 403 too), one fresh login (shared with every caller that found the same token
   * expired) and one retry; if the token is valid, the policy denies: a {@link
   * PermissionDeniedException} naming the path and the capability; if lookup-self fails otherwise
   * (429, 503, no answer), the call fails as unavailable, without a login. A 412 is retried a few
   * times. Failures are counted.
   */
  public <T> T call(String what, Call<T> call) throws KvException {
    try {
      return callWithOneRelogin(what, call);
    } catch (KvException e) {
      errors.incrementAndGet();
      throw e;
    }
  }

  /** Failed Vault calls, logins and renewals since start, for the metrics. */
  public long errors() {
    return errors.get();
  }

  /** When the current token expires; {@link Instant#MAX} for tokens without expiry. */
  public Instant tokenExpiresAt() {
    return token.expiresAt();
  }

  private <T> T callWithOneRelogin(String what, Call<T> call) throws KvException {
    Token used = token;
    try {
      return runWithRetries(what, call, used);
    } catch (PermissionDeniedException denied) {
      if (tokenStillValid(used, what)) {
        throw denied;
      }
    }
    LOG.info("Vault no longer accepts Keyward's token ({} was refused); logging in again", what);
    Token fresh = relogin(used);
    return runWithRetries(what, call, fresh);
  }

  private <T> T runWithRetries(String what, Call<T> call, Token using) throws KvException {
    for (int attempt = 0; ; attempt++) {
      try {
        return call.run(using.vault());
      } catch (VaultException e) {
        KvException failure = failure(what, e);
        if (!(failure instanceof PreconditionFailedException) || attempt >= PRECONDITION_RETRIES) {
          throw failure;
        }
      } catch (PreconditionFailedException e) {
        if (attempt >= PRECONDITION_RETRIES) {
          throw e;
        }
      }
      pause(PRECONDITION_BACKOFF.multipliedBy(1L << attempt));
    }
  }

  /**
   * Whether the refused token still exists. Lookup-self answers 200 for a valid token whatever its
   * policies allow (Vault's default policy), and 403 once the token is expired or revoked: only that
   * 403 means a login is due. Any other failure (429, 503, a timeout, a redirect) says nothing about
   * the token, so it is Vault being unavailable, never a reason to log in and revoke a good token.
   */
  private boolean tokenStillValid(Token used, String what) throws KvException {
    try {
      used.vault().auth().lookupSelf();
      return true;
    } catch (VaultException e) {
      if (e.getHttpStatusCode() == 403) {
        return false;
      }
      throw new KvException("Vault refused " + what + " (HTTP 403), and checking Keyward's token"
          + " failed too: " + failure("token lookup", e).getMessage());
    }
  }

  /**
   * Replaces {@code stale} with a fresh token, unless another caller already did: one login for
   * however many callers found the same token expired.
   */
  private Token relogin(Token stale) throws KvException {
    synchronized (loginLock) {
      if (token.generation() != stale.generation()) {
        return token;
      }
      replaceToken(stale);
      return token;
    }
  }

  /** Logs in, makes the new token current, schedules its renewal, revokes {@code previous}. */
  private void replaceToken(Token previous) throws KvException {
    if (closed) {
      throw new KvException("the Vault session is closed");
    }
    Token fresh = login(previous == null ? 1 : previous.generation() + 1);
    token = fresh;
    scheduleNext(fresh, false);
    if (previous != null) {
      revoke(previous);
    }
  }

  private Token login(long generation) throws KvException {
    VaultConfig config = baseConfig();
    Vault anonymous = Vault.create(config);
    VaultSettings.Auth auth = settings.auth();
    try {
      String secretToken;
      long leaseSeconds;
      boolean renewable;
      boolean owned;
      if (auth instanceof VaultSettings.TokenAuth tokenAuth) {
        secretToken = tokenAuth.tokenFile().isPresent()
            ? readSecretFile(tokenAuth.tokenFile().get()) : System.getenv("VAULT_TOKEN");
        if (secretToken == null || secretToken.isBlank()) {
          throw new KvException("no Vault token: set VAULT_TOKEN or vault.auth.token_file");
        }
        config.token(secretToken);
        LookupResponse self = Vault.create(config).auth().lookupSelf();
        checkStatus(self.getRestResponse().getStatus(), "token lookup");
        leaseSeconds = self.getTTL();
        renewable = self.isRenewable();
        owned = false; // whoever gave it (an operator, Vault Agent) owns it
      } else {
        AuthResponse response;
        if (auth instanceof VaultSettings.AppRoleAuth appRole) {
          String secretId = appRole.secretIdFile().isPresent()
              ? readSecretFile(appRole.secretIdFile().get())
              : System.getenv("KEYWARD_VAULT_SECRET_ID");
          if (secretId == null || secretId.isBlank()) {
            throw new KvException("no AppRole secret id: set vault.auth.secret_id_file or"
                + " KEYWARD_VAULT_SECRET_ID");
          }
          response = anonymous.auth().loginByAppRole(appRole.mount(), appRole.roleId(), secretId);
        } else {
          VaultSettings.KubernetesAuth kubernetes = (VaultSettings.KubernetesAuth) auth;
          // The driver posts to /v1/<path>/login for Kubernetes (no implicit "auth/").
          response = anonymous.auth().loginByKubernetes(kubernetes.role(),
              readSecretFile(kubernetes.jwtFile()), "auth/" + kubernetes.mount());
        }
        checkStatus(response.getRestResponse().getStatus(), "login");
        secretToken = response.getAuthClientToken();
        if (secretToken == null || secretToken.isBlank()) {
          throw new KvException("Vault's login response held no token");
        }
        config.token(secretToken);
        leaseSeconds = response.getAuthLeaseDuration();
        renewable = response.isAuthRenewable();
        owned = true;
      }
      Instant expiresAt = leaseSeconds > 0 ? clock.instant().plusSeconds(leaseSeconds)
          : Instant.MAX;
      LOG.info("logged in to Vault at {} ({}); token {}", settings.address(), method(),
          leaseSeconds > 0 ? "valid for " + leaseSeconds + "s" + (renewable ? ", renewable" : "")
              : "without expiry");
      return new Token(Vault.create(config), generation, owned, expiresAt, leaseSeconds,
          renewable);
    } catch (VaultException e) {
      throw failure("login", e);
    }
  }

  /**
   * Schedules what keeps the token alive: a renewal at half its remaining life, or, when renewing
   * cannot help (not renewable, or the last renewal was capped by the max TTL), a fresh login.
   */
  private void scheduleNext(Token current, boolean loginInstead) {
    synchronized (loginLock) {
      renewal.run(); // cancel what was scheduled for an earlier token
      renewal = () -> {};
      if (closed || current.expiresAt().equals(Instant.MAX)) {
        return;
      }
      Duration left = Duration.between(clock.instant(), current.expiresAt());
      Duration delay = Duration.ofMillis(Math.max(MIN_RENEW_DELAY.toMillis(),
          (long) (left.toMillis() * (1 - RENEW_AT_REMAINING))));
      boolean login = loginInstead || !current.renewable();
      renewal = scheduler.schedule(() -> keepAlive(current, login), delay);
    }
  }

  private void keepAlive(Token current, boolean loginInstead) {
    if (token.generation() != current.generation()) {
      return; // replaced meanwhile; the new token has its own schedule
    }
    if (!loginInstead) {
      try {
        AuthResponse renewed = current.vault().auth().renewSelf();
        long lease = renewed.getAuthLeaseDuration();
        if (renewed.getRestResponse().getStatus() == 200 && lease > 0) {
          Token extended = new Token(current.vault(), current.generation(), current.owned(),
              clock.instant().plusSeconds(lease), current.ttl(), renewed.isAuthRenewable());
          boolean capped = lease < current.ttl() || hasWarnings(renewed);
          if (capped) {
            LOG.info("Vault capped the token's renewal at {}s (its max TTL); logging in again"
                + " before it expires", lease);
          }
          synchronized (loginLock) {
            if (token.generation() == current.generation()) {
              token = extended;
            }
          }
          scheduleNext(extended, capped);
          return;
        }
      } catch (VaultException | RuntimeException e) {
        errors.incrementAndGet();
        LOG.warn("Vault token renewal failed ({}); logging in again", safeMessage(e));
      }
    }
    try {
      relogin(current);
    } catch (KvException | RuntimeException e) {
      errors.incrementAndGet();
      LOG.warn("logging in to Vault failed ({}); retrying in {}s", safeMessage(e),
          RETRY_DELAY.toSeconds());
      synchronized (loginLock) {
        if (!closed) {
          renewal = scheduler.schedule(() -> keepAlive(current, true), RETRY_DELAY);
        }
      }
    }
  }

  private static boolean hasWarnings(AuthResponse response) {
    try {
      return JSON.readTree(response.getRestResponse().getBody()).path("warnings").size() > 0;
    } catch (IOException e) {
      return false;
    }
  }

  /** Revokes a token this session obtained; one given to Keyward belongs to whoever gave it. */
  private void revoke(Token old) {
    if (!old.owned()) {
      return;
    }
    try {
      old.vault().auth().revokeSelf();
    } catch (VaultException | RuntimeException e) {
      // Expired already, or Vault unreachable: it lapses at its TTL either way.
      LOG.debug("revoking the previous Vault token failed: {}", safeMessage(e));
    }
  }

  private VaultConfig baseConfig() throws KvException {
    try {
      int timeout = (int) Math.max(1, settings.timeout().toSeconds());
      VaultConfig config = new VaultConfig()
          .address(settings.address())
          .engineVersion(1) // Keyward speaks the KV v2 HTTP API with explicit paths
          .openTimeout(timeout)
          .readTimeout(timeout);
      if (settings.namespace().isPresent()) {
        config.nameSpace(settings.namespace().get());
      }
      SslConfig ssl = new SslConfig().verify(true);
      if (settings.caCert().isPresent()) {
        ssl.pemFile(settings.caCert().get().toFile());
      }
      config.sslConfig(ssl.build());
      return config.build();
    } catch (VaultException e) {
      throw new KvException("invalid Vault settings: " + safeMessage(e));
    }
  }

  private String method() {
    VaultSettings.Auth auth = settings.auth();
    return auth instanceof VaultSettings.TokenAuth ? "token"
        : auth instanceof VaultSettings.AppRoleAuth ? "AppRole" : "Kubernetes";
  }

  private static String readSecretFile(Path file) throws KvException {
    try {
      return Files.readString(file, StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      throw new KvException("cannot read " + file);
    }
  }

  private static void checkStatus(int status, String what) throws KvException {
    if (status != 200) {
      throw new KvException("Vault refused the " + what + " (HTTP " + status + ")");
    }
  }

  private static void pause(Duration duration) throws KvException {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KvException("interrupted while waiting to retry a Vault call");
    }
  }

  /**
   * Vault said 403 to a request on {@code path}. The session decides whether that means an expired
   * token or a policy that does not grant {@code capability} there; in the second case this is
   * what the caller sees.
   */
  public static final class PermissionDeniedException extends KvException {

    /**
     * @param what the operation, e.g. {@code KV write of credentials/acme/openrouter}
     * @param path the full API path, e.g. {@code secret/data/keyward/credentials/acme/openrouter}
     * @param capability what the request needed there, e.g. {@code create or update}
     */
    public PermissionDeniedException(String what, String path, String capability) {
      super("Vault denied " + what + ": the token's policies do not grant " + capability
          + " on " + path + " (HTTP 403)");
    }
  }

  /** 412: a performance standby has not caught up yet; worth retrying after a pause. */
  static final class PreconditionFailedException extends KvException {
    PreconditionFailedException(String what) {
      super("Vault " + what + " failed (HTTP 412: a standby node has not caught up yet)");
    }
  }

  /**
   * What a status Keyward does not handle itself means, for the error message: never the
   * response body (which may echo request data).
   */
  public static KvException failure(String what, int status) {
    return switch (status) {
      case 412 -> new PreconditionFailedException(what);
      case 429 -> new KvException("Vault " + what + " failed (HTTP 429: rate limited by a Vault"
          + " quota; retried at the next refresh)");
      case 503 -> new KvException("Vault " + what + " failed (HTTP 503: Vault is sealed or"
          + " in maintenance)");
      case 307, 308 -> new KvException("Vault " + what + " failed (HTTP " + status + ": a"
          + " standby node redirected to the active one; Keyward does not follow redirects with"
          + " its token: set vault.address to the active node or to a load balancer that sends"
          + " requests to it)");
      default -> new KvException("Vault " + what + " failed (HTTP " + status + ")");
    };
  }

  /**
   * The driver's messages can include response bodies; keep only the status, or, without one,
   * the kind of failure (e.g. {@code ConnectException}).
   */
  static KvException failure(String what, VaultException e) {
    int status = e.getHttpStatusCode();
    if (status > 0) {
      return failure(what, status);
    }
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return new KvException("Vault " + what + " failed (no HTTP response: "
        + root.getClass().getSimpleName() + ")");
  }

  /**
   * Vault's error strings from a response, to match against known phrases only (a CAS mismatch, a
   * ciphertext too old): never put in a message, since they may echo request data.
   */
  static String errorStrings(LogicalResponse response) {
    try {
      return JSON.readTree(response.getRestResponse().getBody()).path("errors").toString();
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  private static String safeMessage(Exception e) {
    if (e instanceof VaultException v) {
      return failure("call", v).getMessage();
    }
    if (e instanceof KvException) {
      return e.getMessage(); // ours: never a secret
    }
    return e.getClass().getSimpleName();
  }

  /** Stops renewing and revokes the token this session logged in with. */
  @Override
  public void close() {
    Token last;
    synchronized (loginLock) {
      if (closed) {
        return;
      }
      closed = true;
      renewal.run();
      last = token;
    }
    if (last != null) {
      revoke(last);
    }
  }
}
