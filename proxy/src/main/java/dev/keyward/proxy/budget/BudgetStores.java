package dev.keyward.proxy.budget;

import dev.keyward.proxy.config.BudgetsConfig;
import dev.keyward.vault.AtomicFiles;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

/** Opens the budget store that {@code budgets:} in keyward.yaml names. */
public final class BudgetStores {

  /** Concurrent Redis connections per process; budget scripts are short. */
  static final int REDIS_POOL_SIZE = 16;
  /** Budget checks that may wait for a connection before they fail as unavailable. */
  static final int REDIS_POOL_WAITING = 4096;
  /** Redis's certificate must name the host of the URL, as for HTTPS (RFC 2818). */
  static final String VERIFY_HOST_NAME = "HTTPS";

  private BudgetStores() {}

  /**
   * Blocking (it reads files): call at start-up, off the event loop. Redis is not contacted here,
   * so Keyward starts while Redis is down; budget checks then fail as the budgets say.
   *
   * @throws IOException when the embedded directory cannot be used or the Redis password file read
   */
  public static BudgetStore open(Vertx vertx, BudgetsConfig config, Clock clock,
      BudgetCounters counters) throws IOException {
    if (config.store() == BudgetsConfig.Store.EMBEDDED) {
      return EmbeddedBudgetStore.open(config.dir(), clock, config.holdLease(), counters);
    }
    BudgetsConfig.Redis redis = config.redis().orElseThrow(
        () -> new IllegalArgumentException("budgets.store is redis but budgets.redis is not set"));
    return new RedisBudgetStore(Redis.createClient(vertx, redisOptions(redis)), redis.endpoint(),
        clock, config.holdLease(), redis.timeout(), counters);
  }

  /**
   * The store, opened now when {@code openNow} (the policy has budgets: a store that cannot be
   * used stops start-up), else when a budget first needs it. Blocking when {@code openNow}: call
   * it at start-up, off the event loop.
   *
   * @throws Exception as {@link #open} does, when opened now
   */
  public static BudgetStore openWhenNeeded(Vertx vertx, BudgetsConfig config, Clock clock,
      BudgetCounters counters, boolean openNow) throws Exception {
    LazyBudgetStore store =
        new LazyBudgetStore(vertx, () -> open(vertx, config, clock, counters), clock);
    if (openNow) {
      store.openNow();
    }
    return store;
  }

  /**
   * The client's options. For {@code rediss://}, TLS that checks Redis's certificate against the
   * configured CA (else the JDK's) and its host name against the URL's, as HTTPS does: Vert.x
   * refuses TLS without a host-name verification algorithm, and one that verifies nothing would
   * let anyone on the path pose as Redis.
   *
   * @throws IOException when the password or CA file cannot be read
   */
  static RedisOptions redisOptions(BudgetsConfig.Redis redis) throws IOException {
    RedisOptions options = new RedisOptions().setConnectionString(redis.url())
        .setMaxPoolSize(REDIS_POOL_SIZE).setMaxPoolWaiting(REDIS_POOL_WAITING);
    NetClientOptions net = options.getNetClientOptions();
    net.setConnectTimeout((int) redis.timeout().toMillis());
    if (redis.tls()) {
      net.setSsl(true).setHostnameVerificationAlgorithm(VERIFY_HOST_NAME);
      if (redis.caCert().isPresent()) {
        net.setTrustOptions(new PemTrustOptions().addCertValue(caCert(redis.caCert().get())));
      }
    }
    if (redis.passwordFile().isPresent()) {
      options.setPassword(password(redis.passwordFile().get()));
    }
    return options;
  }

  private static Buffer caCert(Path file) throws IOException {
    byte[] pem;
    try {
      pem = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new IOException("the Redis CA file " + file + " (budgets.redis.ca_cert) cannot be"
          + " read: " + e.getMessage(), e);
    }
    if (!new String(pem, StandardCharsets.US_ASCII).contains("-----BEGIN CERTIFICATE-----")) {
      throw new IOException("the Redis CA file " + file + " (budgets.redis.ca_cert) holds no PEM"
          + " certificate");
    }
    return Buffer.buffer(pem);
  }

  private static String password(Path file) throws IOException {
    if (AtomicFiles.isShared(file)) {
      throw new IOException("the Redis password file " + file + " is readable by others;"
          + " chmod 600 it");
    }
    return Files.readString(file, StandardCharsets.UTF_8).strip();
  }
}
