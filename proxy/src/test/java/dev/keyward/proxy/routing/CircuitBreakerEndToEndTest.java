package dev.keyward.proxy.routing;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.Keyward;
import dev.keyward.proxy.dev.FakeProvider;
import dev.keyward.proxy.testing.Agent;
import dev.keyward.proxy.testing.AuditCapture;
import dev.keyward.proxy.testing.RecordingUpstream;
import dev.keyward.proxy.testing.Secrets;
import dev.keyward.proxy.testing.TestInstallation;
import dev.keyward.token.Role;
import dev.keyward.vault.Injection;
import dev.keyward.vault.MutableClock;
import dev.keyward.vault.Secret;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A target's circuit through the real proxy, on a clock the test moves: opened by upstream
 * failures, skipping the target while open, one probe when half open, closed by its success,
 * reopened by its failure; never moved by the agent's own errors; visible in the admin API and
 * the metrics.
 */
class CircuitBreakerEndToEndTest {

  static final String KEY_ONE = "sk-breaker-one-0123456789abcdef01234";
  static final String KEY_TWO = "sk-breaker-two-abcdef0123456789abcde";
  static final String OK = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":"
      + "\"gpt-5-mini\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
      + "\"hi\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,"
      + "\"completion_tokens\":1,\"total_tokens\":6}}";

  @TempDir
  Path dir;

  final MutableClock clock = new MutableClock(Instant.now());
  Vertx vertx;
  RecordingUpstream primary;
  FakeProvider backup;
  TestInstallation installation;
  Keyward keyward;
  Agent agent;
  Agent admin;
  AuditCapture audit;
  String token;
  String operator;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    Secrets.register(KEY_ONE);
    Secrets.register(KEY_TWO);
    primary = RecordingUpstream.http(vertx);
    backup = FakeProvider.startAndWait(vertx,
        Secret.copyOf(KEY_TWO.getBytes(StandardCharsets.US_ASCII)));
    installation = new TestInstallation(dir).policy("""
        credentials:
          - id: one
            allowed_domains: ["127.0.0.1"]
            allowed_ports: [%1$d]
            allow_insecure_http: true
            allow_addresses: ["127.0.0.1/32"]
          - id: two
            allowed_domains: ["127.0.0.1"]
            allowed_ports: [%2$d]
            allow_insecure_http: true
            allow_addresses: ["127.0.0.1/32"]
        routes:
          - name: guarded
            api: openai
            breaker: {failures: 2, window: 60s, open_for: 30s}
            targets:
              - {name: primary, credential: one, upstream: "http://127.0.0.1:%1$d/v1"}
              - {name: backup, credential: two, upstream: "http://127.0.0.1:%2$d/v1"}
        grants:
          - tenants: [acme]
            credentials: [one, two]
        """.formatted(primary.port(), backup.port()));
    installation.putCredential("acme", "one", KEY_ONE, List.of("127.0.0.1"), Injection.bearer());
    installation.putCredential("acme", "two", KEY_TWO, List.of("127.0.0.1"), Injection.bearer());
    keyward = installation.start(clock);
    agent = new Agent(keyward.port());
    admin = new Agent(keyward.adminPort());
    audit = new AuditCapture(dir);
    token = installation.token("agent-1", "acme").token();
    operator = installation.operatorToken("auditor", Role.AUDITOR).token();
  }

  @AfterEach
  void stop() throws Exception {
    keyward.close();
    primary.close();
    backup.close();
    vertx.close();
  }

  HttpResponse<String> call() throws Exception {
    return agent.post("/r/guarded/chat/completions", token, new JsonObject()
        .put("model", "gpt-5-mini").put("messages", new JsonArray().add(new JsonObject()
            .put("role", "user").put("content", "Say hi"))).encode());
  }

  static String servedBy(HttpResponse<?> response) {
    return response.headers().firstValue("x-keyward-target").orElse("(none)");
  }

  /** The primary target as GET /v1/targets shows it. */
  JsonObject primaryState() throws Exception {
    HttpResponse<String> response = admin.get("/v1/targets", operator);
    assertEquals(200, response.statusCode(), response.body());
    JsonArray targets = new JsonArray(response.body());
    for (int i = 0; i < targets.size(); i++) {
      JsonObject target = targets.getJsonObject(i);
      if (target.getString("target").equals("primary")) {
        return target;
      }
    }
    throw new AssertionError("no primary in " + targets);
  }

  String circuitMetric() throws Exception {
    String metrics = admin.get("/metrics", null).body();
    return metrics.lines().filter(l -> l.startsWith("keyward_target_circuit_state{")
        && l.contains("route=\"guarded\"") && l.contains("target=\"primary\""))
        .findFirst().orElse("");
  }

  void failing() {
    primary.respondWith(request -> request.response().setStatusCode(503).end("overloaded"));
  }

  void healthy() {
    primary.respondWith(request -> request.response()
        .putHeader("Content-Type", "application/json").end(OK));
  }

  /** Two upstream failures within the window: the circuit opens. */
  void open() throws Exception {
    failing();
    assertEquals("backup", servedBy(call()));
    assertEquals("backup", servedBy(call()));
    assertEquals("open", primaryState().getString("circuit"));
  }

  @Test
  void repeatedUpstreamFailuresOpenTheCircuitAndTheTargetIsSkippedWhileOpen() throws Exception {
    open();

    HttpResponse<String> response = call();

    assertEquals("backup", servedBy(response));
    assertEquals(2, primary.received().size(), "an open circuit's target is not called");
    JsonObject skipped = audit.attempts(response.headers().firstValue("x-request-id")
        .orElseThrow()).get(0);
    assertEquals("skipped", skipped.getString("outcome"));
    assertEquals("circuit_open", skipped.getString("code"));
    JsonObject state = primaryState();
    assertEquals(clock.instant().plusSeconds(30).toEpochMilli(),
        Instant.parse(state.getString("open_until")).toEpochMilli());
    assertTrue(circuitMetric().endsWith(" 2.0"), circuitMetric());
  }

  @Test
  void afterOpenForOneProbeGoesThroughAndItsSuccessClosesTheCircuit() throws Exception {
    open();
    healthy();
    clock.advance(Duration.ofSeconds(30));
    assertEquals("half_open", primaryState().getString("circuit"));
    assertTrue(circuitMetric().endsWith(" 1.0"), circuitMetric());

    assertEquals("primary", servedBy(call()));

    assertEquals("closed", primaryState().getString("circuit"));
    assertTrue(circuitMetric().endsWith(" 0.0"), circuitMetric());
    assertEquals("primary", servedBy(call()));
  }

  @Test
  void aFailedProbeOpensTheCircuitForAnotherOpenFor() throws Exception {
    open();
    clock.advance(Duration.ofSeconds(30));

    assertEquals("backup", servedBy(call()));

    assertEquals(3, primary.received().size(), "the probe went to the primary");
    assertEquals("open", primaryState().getString("circuit"));
    assertEquals("backup", servedBy(call()));
    assertEquals(3, primary.received().size(), "open again: skipped");
  }

  @Test
  void onlyOneProbeGoesThroughWhileHalfOpen() throws Exception {
    open();
    List<HttpServerRequest> held = new CopyOnWriteArrayList<>();
    primary.respondWith(held::add); // the probe waits until the test answers it
    clock.advance(Duration.ofSeconds(30));
    CompletableFuture<HttpResponse<String>> probe = CompletableFuture.supplyAsync(() -> {
      try {
        return call();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> held.size() == 1);

    HttpResponse<String> meanwhile = call();

    assertEquals("backup", servedBy(meanwhile), "a second call does not probe");
    assertEquals(3, primary.received().size());
    held.get(0).response().putHeader("Content-Type", "application/json").end(OK);
    assertEquals("primary", servedBy(probe.get(20, TimeUnit.SECONDS)));
    assertEquals("closed", primaryState().getString("circuit"));
  }

  @Test
  void theAgentsOwnErrorsNeverMoveTheCircuit() throws Exception {
    primary.respondWith(request -> request.response().setStatusCode(400)
        .putHeader("Content-Type", "application/json")
        .end("{\"error\":{\"message\":\"bad messages\"}}"));

    for (int i = 0; i < 3; i++) {
      HttpResponse<String> response = call();
      assertEquals(400, response.statusCode());
      assertEquals("primary", servedBy(response));
    }

    JsonObject state = primaryState();
    assertEquals("closed", state.getString("circuit"));
    assertEquals(0, state.getInteger("failures"));
    assertEquals(0, state.getInteger("calls"), "the agent's errors count neither way");
    assertTrue(backup.received().isEmpty());
  }

  @Test
  void failuresOlderThanTheWindowDoNotOpenTheCircuit() throws Exception {
    failing();
    assertEquals("backup", servedBy(call()));
    clock.advance(Duration.ofSeconds(61));

    assertEquals("backup", servedBy(call()));

    JsonObject state = primaryState();
    assertEquals("closed", state.getString("circuit"));
    assertEquals(1, state.getInteger("failures"));
  }
}
