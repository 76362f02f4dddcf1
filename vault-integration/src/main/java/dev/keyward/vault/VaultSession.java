package dev.keyward.vault;

import io.github.jopenlibs.vault.SslConfig;
import io.github.jopenlibs.vault.Vault;
import io.github.jopenlibs.vault.VaultConfig;
import io.github.jopenlibs.vault.VaultException;
import io.github.jopenlibs.vault.response.AuthResponse;
import io.github.jopenlibs.vault.response.LookupResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An authenticated connection to Vault through the Vault Java Driver: logs in (token, AppRole or
 * Kubernetes), renews the token before it expires, and logs in again when Vault answers 403 (an
 * expired or revoked token). The token is never logged and never appears in an exception message.
 *
 * <p>Every method blocks on the network: call from worker threads only.
 */
public final class VaultSession implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(VaultSession.class);
  /** Renew when this fraction of the token's lifetime is left. */
  private static final double RENEW_AT_REMAINING = 0.5;
  private static final Duration MIN_RENEW_DELAY = Duration.ofSeconds(1);

  /** One Vault API call, given the current client. */
  @FunctionalInterface
  public interface Call<T> {
    T run(Vault vault) throws VaultException, KvException;
  }

  private final VaultSettings settings;
  private final AtomicLong errors = new AtomicLong();
  private final ScheduledExecutorService scheduler;
  private final Clock clock;
  private volatile Vault vault;
  private volatile Instant expiresAt = Instant.MAX;
  private ScheduledFuture<?> renewal;

  private VaultSession(VaultSettings settings, ScheduledExecutorService scheduler, Clock clock) {
    this.settings = settings;
    this.scheduler = scheduler;
    this.clock = clock;
  }

  /**
   * Logs in and schedules renewal.
   *
   * @param scheduler runs renewals; a single background thread is enough
   * @throws KvException when Vault cannot be reached or refuses the login
   */
  public static VaultSession open(VaultSettings settings, ScheduledExecutorService scheduler,
      Clock clock) throws KvException {
    VaultSession session = new VaultSession(settings, scheduler, clock);
    session.login();
    return session;
  }

  /** Runs {@code call}; on 403 logs in again once and retries. Failures are counted. */
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

  private <T> T callWithOneRelogin(String what, Call<T> call) throws KvException {
    try {
      return call.run(vault);
    } catch (VaultException e) {
      if (e.getHttpStatusCode() != 403) {
        throw failure(what, e);
      }
    } catch (PermissionDeniedException e) {
      // fall through to a fresh login
    }
    LOG.info("Vault answered 403 to {}; logging in again", what);
    login();
    try {
      return call.run(vault);
    } catch (VaultException e) {
      throw failure(what, e);
    }
  }

  /** Callers throw this when Vault's answer (not an exception from the driver) is a 403. */
  public static final class PermissionDeniedException extends KvException {
    public PermissionDeniedException(String what) {
      super("Vault denied " + what + " (HTTP 403)");
    }
  }

  /** When the current token expires; {@link Instant#MAX} for tokens without expiry. */
  public Instant tokenExpiresAt() {
    return expiresAt;
  }

  synchronized void login() throws KvException {
    VaultConfig config = baseConfig();
    Vault anonymous = Vault.create(config);
    VaultSettings.Auth auth = settings.auth();
    try {
      String token;
      long leaseSeconds;
      boolean renewable;
      if (auth instanceof VaultSettings.TokenAuth tokenAuth) {
        token = tokenAuth.tokenFile().isPresent() ? readSecretFile(tokenAuth.tokenFile().get())
            : System.getenv("VAULT_TOKEN");
        if (token == null || token.isBlank()) {
          throw new KvException("no Vault token: set VAULT_TOKEN or vault.auth.token_file");
        }
        config.token(token);
        LookupResponse self = Vault.create(config).auth().lookupSelf();
        checkStatus(self.getRestResponse().getStatus(), "token lookup");
        leaseSeconds = self.getTTL();
        renewable = self.isRenewable();
      } else {
        AuthResponse response;
        if (auth instanceof VaultSettings.AppRoleAuth appRole) {
          String secretId = appRole.secretIdFile().isPresent()
              ? readSecretFile(appRole.secretIdFile().get()) : System.getenv("KEYWARD_VAULT_SECRET_ID");
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
        token = response.getAuthClientToken();
        if (token == null || token.isBlank()) {
          throw new KvException("Vault's login response held no token");
        }
        config.token(token);
        leaseSeconds = response.getAuthLeaseDuration();
        renewable = response.isAuthRenewable();
      }
      this.vault = Vault.create(config);
      this.expiresAt = leaseSeconds > 0 ? clock.instant().plusSeconds(leaseSeconds) : Instant.MAX;
      LOG.info("logged in to Vault at {} ({}); token {}", settings.address(), method(),
          leaseSeconds > 0 ? "valid for " + leaseSeconds + "s" + (renewable ? ", renewable" : "")
              : "without expiry");
      scheduleRenewal(leaseSeconds, renewable);
    } catch (VaultException e) {
      throw failure("login", e);
    }
  }

  private synchronized void scheduleRenewal(long leaseSeconds, boolean renewable) {
    if (renewal != null) {
      renewal.cancel(false);
      renewal = null;
    }
    if (leaseSeconds <= 0) {
      return;
    }
    long delay = Math.max(MIN_RENEW_DELAY.toMillis(),
        (long) (leaseSeconds * 1000 * (1 - RENEW_AT_REMAINING)));
    renewal = scheduler.schedule(() -> renewOrLogin(renewable), delay, TimeUnit.MILLISECONDS);
  }

  private void renewOrLogin(boolean renewable) {
    try {
      if (renewable) {
        AuthResponse renewed = vault.auth().renewSelf();
        if (renewed.getRestResponse().getStatus() == 200 && renewed.getAuthLeaseDuration() > 0) {
          expiresAt = clock.instant().plusSeconds(renewed.getAuthLeaseDuration());
          scheduleRenewal(renewed.getAuthLeaseDuration(), renewed.isAuthRenewable());
          return;
        }
      }
      login();
    } catch (VaultException | KvException | RuntimeException e) {
      errors.incrementAndGet();
      LOG.warn("Vault token renewal failed ({}); retrying in {}s", safeMessage(e),
          MIN_RENEW_DELAY.multipliedBy(5).toSeconds());
      renewal = scheduler.schedule(() -> renewOrLogin(renewable),
          MIN_RENEW_DELAY.multipliedBy(5).toMillis(), TimeUnit.MILLISECONDS);
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

  /**
   * The driver's messages can include response bodies; keep only the status, or, without one,
   * the kind of failure (e.g. {@code ConnectException}).
   */
  static KvException failure(String what, VaultException e) {
    int status = e.getHttpStatusCode();
    if (status > 0) {
      return new KvException("Vault " + what + " failed (HTTP " + status + ")");
    }
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return new KvException("Vault " + what + " failed (no HTTP response: "
        + root.getClass().getSimpleName() + ")");
  }

  private static String safeMessage(Exception e) {
    if (e instanceof VaultException v) {
      return failure("call", v).getMessage();
    }
    return e.getClass().getSimpleName();
  }

  @Override
  public synchronized void close() {
    if (renewal != null) {
      renewal.cancel(false);
    }
  }
}
