package dev.keyward.proxy.budget;

import dev.keyward.proxy.config.BudgetsConfig;
import dev.keyward.vault.AtomicFiles;
import io.vertx.core.Vertx;
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
      return EmbeddedBudgetStore.open(vertx, config.dir(), clock, config.holdLease(), counters);
    }
    BudgetsConfig.Redis redis = config.redis().orElseThrow(
        () -> new IllegalArgumentException("budgets.store is redis but budgets.redis is not set"));
    RedisOptions options = new RedisOptions().setConnectionString(redis.url())
        .setMaxPoolSize(REDIS_POOL_SIZE).setMaxPoolWaiting(REDIS_POOL_WAITING);
    options.getNetClientOptions().setConnectTimeout((int) redis.timeout().toMillis());
    if (redis.passwordFile().isPresent()) {
      options.setPassword(password(redis.passwordFile().get()));
    }
    return new RedisBudgetStore(Redis.createClient(vertx, options), redis.endpoint(), clock,
        config.holdLease(), redis.timeout(), counters);
  }

  private static String password(Path file) throws IOException {
    if (AtomicFiles.isShared(file)) {
      throw new IOException("the Redis password file " + file + " is readable by others;"
          + " chmod 600 it");
    }
    return Files.readString(file, StandardCharsets.UTF_8).strip();
  }
}
