package dev.keyward.proxy.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Where budget and rate-limit counters live: {@code embedded} (one process, in its data
 * directory) or {@code redis} (shared by every replica).
 *
 * @param dir the embedded store's directory
 * @param holdLease how long a reservation may stay unsettled before it is charged in full; longer
 *     than {@code limits.max_request_duration}, so a running call's hold never ends early
 */
public record BudgetsConfig(Store store, Path dir, Duration holdLease, Optional<Redis> redis) {

  public enum Store { EMBEDDED, REDIS }

  /**
   * @param url {@code redis://host:port[/db]} or {@code rediss://…} (TLS), never with a password
   * @param passwordFile a file holding the password (or ACL user's password), if Redis wants one
   * @param endpoint {@code host:port}, how logs and errors name Redis
   * @param timeout the longest a budget check may wait for Redis before it counts as down
   * @param tls true for {@code rediss://}: TLS, with Redis's certificate and host name verified
   * @param caCert PEM of the CA that signed Redis's certificate; empty means the JDK's CAs
   */
  public record Redis(String url, Optional<Path> passwordFile, String endpoint, Duration timeout,
      boolean tls, Optional<Path> caCert) {}

  public static final String DEFAULT_DIR = "budgets";
  public static final Duration LEASE_MARGIN = Duration.ofMinutes(5);
  public static final Duration DEFAULT_REDIS_TIMEOUT = Duration.ofSeconds(1);

  static BudgetsConfig resolve(ConfigFile.Budgets raw, Path base, Duration maxRequestDuration,
      List<String> problems) {
    ConfigFile.Budgets b = raw == null ? new ConfigFile.Budgets(null, null, null, null) : raw;
    Store store = Store.EMBEDDED;
    if (b.store() != null) {
      switch (b.store()) {
        case "embedded" -> store = Store.EMBEDDED;
        case "redis" -> store = Store.REDIS;
        default -> problems.add("budgets.store must be embedded (one Keyward process) or redis"
            + " (several replicas), not '" + b.store() + "'");
      }
    }
    Path dir = base.resolve(b.dir() == null ? DEFAULT_DIR : b.dir());
    if (store == Store.REDIS && b.dir() != null) {
      problems.add("budgets.dir is the embedded store's directory; remove it, budgets.store is"
          + " redis");
    }
    Duration defaultLease = maxRequestDuration.plus(LEASE_MARGIN);
    Duration lease = defaultLease;
    if (b.holdLease() != null) {
      try {
        lease = Durations.parse(b.holdLease());
        if (lease.compareTo(maxRequestDuration) <= 0) {
          problems.add("budgets.hold_lease (" + b.holdLease() + ") must be longer than"
              + " limits.max_request_duration (" + Durations.format(maxRequestDuration) + "): a"
              + " call still running must keep its reservation; use e.g. "
              + Durations.format(defaultLease));
        }
      } catch (IllegalArgumentException e) {
        problems.add("budgets.hold_lease: " + e.getMessage());
      }
    }
    Optional<Redis> redis = Optional.empty();
    if (store == Store.REDIS) {
      redis = redis(b.redis(), base, problems);
    } else if (b.redis() != null) {
      problems.add("budgets.redis is set but budgets.store is embedded; add budgets.store: redis"
          + " or remove budgets.redis");
    }
    return new BudgetsConfig(store, dir, lease, redis);
  }

  private static Optional<Redis> redis(ConfigFile.BudgetsRedis raw, Path base,
      List<String> problems) {
    if (raw == null || raw.url() == null || raw.url().isBlank()) {
      problems.add("budgets.redis.url is required with budgets.store: redis, e.g."
          + " redis://redis.keyward.svc:6379");
      return Optional.empty();
    }
    String endpoint;
    boolean tls;
    try {
      URI uri = new URI(raw.url());
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("redis") && !scheme.equals("rediss")) {
        problems.add("budgets.redis.url must start with redis:// (or rediss:// for TLS), not '"
            + raw.url() + "'");
        return Optional.empty();
      }
      if (uri.getHost() == null) {
        problems.add("budgets.redis.url names no host; write e.g. redis://redis:6379");
        return Optional.empty();
      }
      if (uri.getRawUserInfo() != null && uri.getRawUserInfo().contains(":")) {
        problems.add("budgets.redis.url holds a password; remove it from the URL and put it in"
            + " budgets.redis.password_file (a file readable by Keyward only)");
        return Optional.empty();
      }
      endpoint = uri.getHost() + ":" + (uri.getPort() < 0 ? 6379 : uri.getPort());
      tls = scheme.equals("rediss");
    } catch (URISyntaxException e) {
      problems.add("budgets.redis.url is not a URL: " + e.getReason());
      return Optional.empty();
    }
    Duration timeout = DEFAULT_REDIS_TIMEOUT;
    if (raw.timeout() != null) {
      try {
        timeout = Durations.parse(raw.timeout());
        if (timeout.isZero()) {
          problems.add("budgets.redis.timeout must be longer than zero");
        }
      } catch (IllegalArgumentException e) {
        problems.add("budgets.redis.timeout: " + e.getMessage());
      }
    }
    if (raw.caCert() != null && !tls) {
      problems.add("budgets.redis.ca_cert is the CA of a Redis spoken to over TLS; write the url"
          + " as rediss:// or remove ca_cert");
    }
    return Optional.of(new Redis(raw.url(),
        Optional.ofNullable(raw.passwordFile()).map(base::resolve), endpoint, timeout, tls,
        Optional.ofNullable(raw.caCert()).map(base::resolve)));
  }
}
