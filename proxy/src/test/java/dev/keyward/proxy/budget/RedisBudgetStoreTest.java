package dev.keyward.proxy.budget;

import static dev.keyward.proxy.budget.Budgets.DOLLAR;
import static dev.keyward.proxy.budget.Budgets.await;
import static dev.keyward.proxy.budget.Budgets.costing;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.llm.budget.Charge;
import dev.keyward.llm.budget.Settlement;
import dev.keyward.policies.ApplicableBudget;
import dev.keyward.proxy.testing.RedisServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The budget store against a real {@code redis-server}, started by this test on a free port. */
class RedisBudgetStoreTest extends BudgetStoreContract {

  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  @TempDir static Path serverDir;
  private static RedisServer server;

  private final List<Vertx> vertxes = new ArrayList<>();
  private Redis admin;
  private RedisBudgetStore store;

  @BeforeAll
  static void startRedis() throws Exception {
    server = RedisServer.startOrSkip(serverDir);
  }

  @AfterAll
  static void stopRedis() throws Exception {
    if (server != null) {
      server.stop();
    }
  }

  @BeforeEach
  void connect() throws Exception {
    server.start();
    Vertx vertx = vertx();
    admin = Redis.createClient(vertx, server.url());
    await(admin.send(Request.cmd(Command.FLUSHALL)));
    store = replica(vertx, TIMEOUT);
  }

  @AfterEach
  void disconnect() throws Exception {
    for (Vertx vertx : vertxes) {
      await(vertx.close());
    }
  }

  @Override
  BudgetStore store() {
    return store;
  }

  private Vertx vertx() {
    Vertx vertx = Vertx.vertx();
    vertxes.add(vertx);
    return vertx;
  }

  private RedisBudgetStore replica(Vertx vertx, Duration timeout) {
    RedisOptions options = new RedisOptions().setConnectionString(server.url())
        .setMaxPoolSize(8).setMaxPoolWaiting(1000);
    options.getNetClientOptions().setConnectTimeout((int) timeout.toMillis());
    return new RedisBudgetStore(Redis.createClient(vertx, options), "127.0.0.1:" + server.port(),
        clock, LEASE, timeout, counters);
  }

  private List<String> allKeys() throws Exception {
    List<String> keys = new ArrayList<>();
    for (Response key : await(admin.send(Request.cmd(Command.KEYS).arg("*")))) {
      keys.add(key.toString());
    }
    return keys;
  }

  @Test
  void twoReplicasUnderConcurrentLoadOverspendByNoMoreThanTheBound() throws Exception {
    RedisBudgetStore other = replica(vertx(), TIMEOUT);
    List<Future<Admission>> calls = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      calls.add(store.reserve(Budgets.monthly(), costing(DOLLAR / 100)));
      calls.add(other.reserve(Budgets.monthly(), costing(DOLLAR / 100)));
    }
    List<Reservation> admitted = new ArrayList<>();
    for (Future<Admission> call : calls) {
      if (await(call) instanceof Admission.Admitted a) {
        admitted.add(a.reservation());
      }
    }
    assertEquals(100, admitted.size(), "admitted while $1 allows 100 calls of $0.01");

    // Every admitted call was in flight at the last admission; half cost 20% over their worst
    // case (an input estimate too low): the bound is the limit plus those overshoots.
    long[] overshoots = new long[admitted.size()];
    long charged = 0;
    List<Future<Void>> settles = new ArrayList<>();
    for (int i = 0; i < admitted.size(); i++) {
      long reserved = admitted.get(i).demand().nanoUsd();
      long actual = i % 2 == 0 ? reserved * 6 / 5 : reserved / 2;
      overshoots[i] = Settlement.overshoot(reserved, actual);
      charged += actual;
      settles.add((i % 2 == 0 ? store : other).settle(admitted.get(i), new Charge(actual, 0)));
    }
    for (Future<Void> settle : settles) {
      await(settle);
    }
    long spent = usageOf("acme-monthly", "tenant:acme").spentNanoUsd();
    assertEquals(charged, spent, "every settle counted once");
    assertTrue(spent <= Settlement.bound(DOLLAR, overshoots), spent + " past the bound");
  }

  @Test
  void twoReplicasReservingAndSettlingInParallelNeverPassTheLimit() throws Exception {
    RedisBudgetStore other = replica(vertx(), TIMEOUT);
    Random random = new Random(18);
    List<Future<Integer>> loops = new ArrayList<>();
    for (RedisBudgetStore replica : List.of(store, other, store, other)) {
      long seed = random.nextLong();
      loops.add(cycle(replica, new Random(seed), 60, 0));
    }
    int admitted = 0;
    for (Future<Integer> loop : loops) {
      admitted += await(loop);
    }
    BudgetUsage usage = usageOf("acme-monthly", "tenant:acme");
    assertTrue(usage.spentNanoUsd() <= DOLLAR, "spent " + usage.spentNanoUsd());
    assertEquals(0, usage.heldNanoUsd());
    assertTrue(admitted > 0);
  }

  /** {@code count} reserve-then-settle cycles in a row, each call costing at most its worst case. */
  private Future<Integer> cycle(RedisBudgetStore replica, Random random, int count, int admitted) {
    if (count == 0) {
      return Future.succeededFuture(admitted);
    }
    long reserved = 1 + random.nextInt((int) (DOLLAR / 20));
    long actual = random.nextInt((int) reserved + 1);
    return replica.reserve(Budgets.monthly(), costing(reserved)).compose(admission -> {
      if (admission instanceof Admission.Admitted a) {
        return replica.settle(a.reservation(), new Charge(actual, 0))
            .compose(v -> cycle(replica, random, count - 1, admitted + 1));
      }
      return cycle(replica, random, count - 1, admitted);
    });
  }

  @Test
  void everyKeyHasAnExpiry() throws Exception {
    List<ApplicableBudget> all = Budgets.POLICY.budgetsFor("agent-7", "acme", Set.of(),
        "openrouter");
    Reservation settled = admitted(all, costing(DOLLAR / 10));
    await(store.settle(settled, new Charge(DOLLAR / 20, 40)));
    Reservation released = admitted(all, costing(DOLLAR / 10));
    await(store.release(released));
    admitted(all, costing(DOLLAR / 10));
    refused(all, costing(DOLLAR));
    clock.advance(LEASE.plusMinutes(1));
    admitted(all, costing(DOLLAR / 10)); // charges the expired hold
    List<String> keys = allKeys();
    assertTrue(keys.size() >= 5, keys.toString());
    for (String key : keys) {
      assertTrue(key.startsWith(RedisBudgetStore.KEY_PREFIX), key);
      long ttl = await(admin.send(Request.cmd(Command.PTTL).arg(key))).toLong();
      assertTrue(ttl > 0, key + " has no expiry (PTTL " + ttl + ")");
    }
  }

  @Test
  void aSettledReservationIsRememberedForAHoldLease() throws Exception {
    Reservation reservation = admitted(Budgets.monthly(), costing(1));
    await(store.settle(reservation, new Charge(1, 0)));
    String marker = "kw:budget:_settled:" + reservation.id();
    long ttl = await(admin.send(Request.cmd(Command.PTTL).arg(marker))).toLong();
    assertTrue(ttl > LEASE.minusMinutes(1).toMillis() && ttl <= LEASE.toMillis(),
        marker + " lives " + ttl + " ms");
  }

  @Test
  void keysAreNamedByBudgetSubjectAndWindow() throws Exception {
    admitted(Budgets.monthly(), costing(1));
    admitted(Budgets.perAgent(), costing(1));
    assertEquals(Set.of("kw:budget:acme-monthly:tenant:acme:month-2026-12",
        "kw:budget:acme-monthly:tenant:acme:month-2026-12:leases",
        "kw:budget:per-agent:agent:acme/agent-7:rpm-2026-12-31T23:58Z",
        "kw:budget:per-agent:agent:acme/agent-7:tpm-2026-12-31T23:58Z"), Set.copyOf(allKeys()));
  }

  @Test
  void scriptsAreSentAgainWhenRedisForgetsThem() throws Exception {
    admitted(Budgets.monthly(), costing(1));
    await(admin.send(Request.cmd(Command.SCRIPT).arg("FLUSH")));
    admitted(Budgets.monthly(), costing(1));
    assertEquals(2, usageOf("acme-monthly", "tenant:acme").heldNanoUsd());
  }

  @Test
  void redisStoppedMidRunFailsClosedOrAllowsByBudgetAndRecoversWhenItReturns() throws Exception {
    BudgetGate gate = new BudgetGate(store, counters);
    List<ApplicableBudget> closed = Budgets.monthly();
    List<ApplicableBudget> open = Budgets.only("open-when-down", "initech", "bot");
    assertInstanceOf(BudgetDecision.Admitted.class, await(gate.reserve(closed, costing(1))));
    server.stop();
    try {
      BudgetDecision down = await(gate.reserve(closed, costing(1)));
      BudgetDecision.Unavailable unavailable =
          assertInstanceOf(BudgetDecision.Unavailable.class, down);
      assertEquals(List.of("acme-monthly"), unavailable.budgets());
      assertInstanceOf(BudgetDecision.AllowedUncounted.class,
          await(gate.reserve(open, costing(1))));
      assertFalse(gate.storeAvailable());
      assertEquals(1, counters.unavailableCount());
      assertEquals(1, counters.allowedUncountedCount());
      assertTrue(counters.storeFailures() >= 2);
    } finally {
      server.start();
    }
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
        await(gate.reserve(closed, costing(1))) instanceof BudgetDecision.Admitted);
    assertTrue(gate.storeAvailable());
  }

  @Test
  void aRedisTooSlowToAnswerCountsAsUnavailable() throws Exception {
    BudgetGate gate = new BudgetGate(replica(vertx(), Duration.ofMillis(300)), counters);
    assertInstanceOf(BudgetDecision.Admitted.class,
        await(gate.reserve(Budgets.monthly(), costing(1))));
    // Writes (scripts among them) wait until UNPAUSE; the store gives up after 300 ms.
    await(admin.send(Request.cmd(Command.CLIENT).arg("PAUSE").arg(60_000).arg("WRITE")));
    try {
      assertInstanceOf(BudgetDecision.Unavailable.class,
          await(gate.reserve(Budgets.monthly(), costing(1))));
    } finally {
      await(admin.send(Request.cmd(Command.CLIENT).arg("UNPAUSE")));
    }
  }
}
