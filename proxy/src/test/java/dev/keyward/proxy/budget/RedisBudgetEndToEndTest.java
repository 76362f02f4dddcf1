package dev.keyward.proxy.budget;

import static dev.keyward.proxy.budget.FakeLlmTestbed.chat;
import static dev.keyward.proxy.budget.UsageReader.nanoUsd;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.llm.Endpoint;
import dev.keyward.llm.LlmRequest;
import dev.keyward.llm.budget.Settlement;
import dev.keyward.llm.budget.WorstCase;
import dev.keyward.proxy.Keyward;
import dev.keyward.proxy.testing.Agent;
import dev.keyward.proxy.testing.AuditCapture;
import dev.keyward.proxy.testing.RedisServer;
import dev.keyward.proxy.testing.TestInstallation;
import dev.keyward.token.Role;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two Keyward instances (each with its own data directory, as two replicas) sharing one real
 * {@code redis-server} for their budget counters: together they hold the overspend bound under
 * concurrent load, and when Redis stops they refuse what budgets count ({@code 503
 * budget_unavailable}, audited) or pass it uncounted where a budget says so, until Redis returns.
 */
class RedisBudgetEndToEndTest {

  /** $0.005 a day for acme: about twenty calls' worst cases, half the calls sent. */
  static final long LIMIT = 5_000_000L;
  /**
   * The output the {@code capped} route reserves for a call without max_tokens. The cap is not
   * sent upstream, and the fake provider's reasoning model writes a little more: each call costs
   * somewhat more than it reserved, so the bound is above the limit.
   */
  static final long ROUTE_CAP = 100;
  static final String QUESTION = "Repeat after me: a budget holds across replicas, whatever"
      + " the load and however many calls.";
  static final int CALLS_PER_INSTANCE = 20;
  static final int PARALLEL = 8;
  /**
   * Generous, so that a loaded machine never makes Redis look down; a stopped Redis refuses
   * connections at once, whatever the timeout.
   */
  static final String REDIS_TIMEOUT = "10s";

  @TempDir static Path redisDir;
  static RedisServer redis;

  @TempDir Path dirA;
  @TempDir Path dirB;

  FakeLlmTestbed testbed;
  TestInstallation installationA;
  TestInstallation installationB;
  Keyward a;
  Keyward b;

  @BeforeAll
  static void startRedis() throws Exception {
    redis = RedisServer.startOrSkip(redisDir);
  }

  @AfterAll
  static void stopRedis() throws Exception {
    if (redis != null) {
      redis.stop();
    }
  }

  @BeforeEach
  void start() throws Exception {
    redis.start();
    testbed = new FakeLlmTestbed();
    Redis client = Redis.createClient(testbed.vertx, redis.url());
    Budgets.await(client.send(Request.cmd(Command.FLUSHALL)));
    client.close();
    installationA = installation(dirA);
    installationB = installation(dirB);
    a = installationA.start();
    b = installationB.start();
  }

  TestInstallation installation(Path dir) throws Exception {
    return testbed.installation(dir, List.of("acme", "relaxed"),
        testbed.route("capped", "    max_output_tokens: " + ROUTE_CAP + "\n") + """
        budgets:
          - name: acme-daily
            scope: tenant
            tenants: [acme]
            usd: 0.005
            period: daily
          - name: relaxed-daily
            scope: tenant
            tenants: [relaxed]
            usd: 5.00
            period: daily
            on_store_failure: allow
        """, """
        budgets:
          store: redis
          redis:
            url: %s
            timeout: %s
        """.formatted(redis.url(), REDIS_TIMEOUT));
  }

  @AfterEach
  void stop() throws Exception {
    try {
      a.close();
      b.close();
    } finally {
      testbed.close();
    }
  }

  /** A call and the data directory of the instance it went to (whose audit log has it). */
  record Sent(Path dir, HttpResponse<String> response) {}

  /** The worst case Keyward reserves for {@link #QUESTION} on the capped route. */
  long reservation() throws Exception {
    byte[] body = chat("gpt-5-mini", false, QUESTION).getBytes(StandardCharsets.UTF_8);
    long input = LlmRequest.parse(Endpoint.CHAT_COMPLETIONS, "/chat/completions", body)
        .inputTokenEstimate();
    return WorstCase.of(installationA.configuration().pricing(), "gpt-5-mini", input,
        OptionalLong.empty(), ROUTE_CAP).nanoUsd();
  }

  @Test
  void twoInstancesSharingRedisUnderConcurrentLoadOverspendByNoMoreThanTheBound()
      throws Exception {
    List<Callable<Sent>> calls = new ArrayList<>();
    for (TestInstallation installation : List.of(installationA, installationB)) {
      Agent agent = new Agent((installation == installationA ? a : b).port());
      String token = installation.token("agent-1", "acme").token();
      for (int i = 0; i < CALLS_PER_INSTANCE; i++) {
        calls.add(() -> new Sent(installation.dir(), agent.post("/r/capped/chat/completions",
            token, chat("gpt-5-mini", false, QUESTION))));
      }
    }
    ExecutorService pool = Executors.newFixedThreadPool(PARALLEL);
    List<Sent> sent = new ArrayList<>();
    try {
      for (Future<Sent> done : pool.invokeAll(calls, 2, TimeUnit.MINUTES)) {
        sent.add(done.get());
      }
    } finally {
      pool.shutdownNow();
    }

    long reserved = reservation();
    List<Long> overshoots = new ArrayList<>();
    long charged = 0;
    int refused = 0;
    for (Sent each : sent) {
      HttpResponse<String> response = each.response();
      if (response.statusCode() == 429) {
        assertEquals("budget_exceeded", new JsonObject(response.body()).getJsonObject("error")
            .getString("code"));
        refused++;
        continue;
      }
      assertEquals(200, response.statusCode(), response.body());
      JsonObject record = new AuditCapture(each.dir()).forRequest(
          response.headers().firstValue("x-request-id").orElseThrow());
      long cost = nanoUsd(record.getJsonObject("usage").getValue("cost_usd"));
      charged += cost;
      overshoots.add(Settlement.overshoot(reserved, cost));
    }
    assertTrue(refused > 0 && overshoots.size() > 0,
        overshoots.size() + " admitted, " + refused + " refused: the load must pass the limit");
    assertTrue(overshoots.stream().allMatch(o -> o > 0), "each answer passed its reservation");

    UsageReader usage = new UsageReader(a,
        installationA.operatorToken("arthur", Role.AUDITOR).token());
    long spent = nanoUsd(usage.settled("acme-daily", "tenant:acme").getValue("spent_usd"));
    assertEquals(charged, spent, "every call settled once, at its metered cost");
    // The bound sums the overshoots of the calls in flight at the last admission; summed over
    // every admitted call it is looser, never tighter. All calls are alike, so it holds exactly
    // when their reservations together fit the limit: two instances counting apart would admit
    // about twice as many, and fail it.
    long bound = Settlement.bound(LIMIT, overshoots.stream().mapToLong(Long::longValue).toArray());
    assertTrue(spent <= bound, "spent " + spent + " > bound " + bound + " (" + overshoots.size()
        + " admitted by two instances)");
    assertTrue(spent > LIMIT / 2, "the load used the budget up: " + spent);
  }

  HttpResponse<String> call(Keyward instance, TestInstallation installation, String tenant)
      throws Exception {
    return new Agent(instance.port()).post("/r/capped/chat/completions",
        installation.token("agent-1", tenant).token(), chat("gpt-5-mini", false, "Say hi"));
  }

  JsonObject readiness(Keyward instance) throws Exception {
    HttpResponse<String> response = new Agent(instance.adminPort()).get("/readyz", null);
    assertEquals(200, response.statusCode(), "the budget store does not gate traffic: "
        + response.body());
    return new JsonObject(response.body()).getJsonObject("checks");
  }

  @Test
  void redisStoppedMidRunGives503BudgetUnavailableAuditedAndServesAgainWhenItReturns()
      throws Exception {
    assertEquals(200, call(a, installationA, "acme").statusCode());
    int reached = testbed.provider.received().size();
    redis.stop();
    try {
      HttpResponse<String> refused = call(a, installationA, "acme");
      assertEquals(503, refused.statusCode(), refused.body());
      assertEquals("budget_unavailable", new JsonObject(refused.body()).getJsonObject("error")
          .getString("code"));
      assertEquals(reached, testbed.provider.received().size(), "refused before the upstream");
      JsonObject record = new AuditCapture(dirA).forRequest(
          refused.headers().firstValue("x-request-id").orElseThrow());
      assertEquals("denied", record.getString("decision"));
      assertEquals("budget_unavailable", record.getString("code"));
      assertEquals("acme-daily", record.getString("rule"));
      assertNotEquals("ok", readiness(a).getString("budgets"));
    } finally {
      redis.start();
    }
    await("instance A admits again").atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> call(a, installationA, "acme").statusCode() == 200);
    assertEquals(200, call(b, installationB, "acme").statusCode());
    assertEquals("ok", readiness(a).getString("budgets"));
  }

  @Test
  void aBudgetThatSaysOnStoreFailureAllowPassesUncountedWhileRedisIsDown() throws Exception {
    redis.stop();
    try {
      HttpResponse<String> served = call(b, installationB, "relaxed");
      assertEquals(200, served.statusCode(), served.body());
      assertEquals("allowed", new AuditCapture(dirB).forRequest(
          served.headers().firstValue("x-request-id").orElseThrow()).getString("decision"));
      assertEquals(503, call(b, installationB, "acme").statusCode(),
          "a budget that says nothing fails closed");
      String metrics = new Agent(b.adminPort()).get("/metrics", null).body();
      assertTrue(metrics.contains("keyward_budget_decisions_total{outcome=\"allowed_uncounted\"}"
          + " 1.0"), metrics);
      assertTrue(metrics.contains("keyward_budget_decisions_total{outcome=\"budget_unavailable\"}"
          + " 1.0"), metrics);
    } finally {
      redis.start();
    }
  }

  @Test
  void usageWhileRedisIsDownIs503BudgetUnavailable() throws Exception {
    String auditor = installationA.operatorToken("arthur", Role.AUDITOR).token();
    redis.stop();
    try {
      HttpResponse<String> response = new Agent(a.adminPort()).get("/v1/budgets/usage", auditor);
      assertEquals(503, response.statusCode(), response.body());
      assertEquals("budget_unavailable", new JsonObject(response.body()).getJsonObject("error")
          .getString("code"));
    } finally {
      redis.start();
    }
  }
}
