package dev.keyward.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.testing.Agent;
import dev.keyward.proxy.testing.AuditCapture;
import dev.keyward.proxy.testing.RecordingUpstream;
import dev.keyward.proxy.testing.TestInstallation;
import dev.keyward.vault.Injection;
import dev.keyward.vault.MutableClock;
import dev.keyward.vault.Secret;
import dev.keyward.vault.VaultDouble;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keyward served with `serve --config` against Vault (the HTTP API double): credentials in KV v2,
 * the KEK in Transit, rotation under load, and what happens while Vault is down. The credential
 * cache's TTL and stale window run on a clock the tests move by hand.
 */
class VaultEndToEndTest {

  static final String KEY_1 = "sk-vault-e2e-first-0123456789";
  static final String KEY_2 = "sk-vault-e2e-second-9876543210";
  static final Duration TTL = Duration.ofSeconds(30);
  static final Duration STALE = Duration.ofMinutes(10);
  static final Duration A_MOMENT = Duration.ofSeconds(1);

  @TempDir
  Path dir;

  VaultDouble vault;
  MutableClock clock = new MutableClock(Instant.now());
  Vertx vertx;
  RecordingUpstream upstream;
  TestInstallation installation;
  Keyward keyward;
  Agent agent;
  String token;

  @BeforeEach
  void start() throws Exception {
    vault = VaultDouble.start();
    vertx = Vertx.vertx();
    upstream = RecordingUpstream.http(vertx);
    installation = new TestInstallation(dir).vault(vault).policy("""
        credentials:
          - id: local
            allowed_domains: ["127.0.0.1"]
            allowed_ports: [%d]
            allow_insecure_http: true
            allow_addresses: ["127.0.0.1/32"]
        routes:
          - name: local
            upstream: http://127.0.0.1:%d/v1
            credential: local
        grants:
          - tenants: [acme]
            credentials: [local]
        """.formatted(upstream.port(), upstream.port()))
        .config("credentials_cache:\n  ttl: " + TTL.toSeconds() + "s\n  stale_window: "
            + STALE.toSeconds() + "s\n");
    installation.putCredential("acme", "local", KEY_1, List.of("127.0.0.1"), Injection.bearer());
    keyward = installation.start(clock);
    agent = new Agent(keyward.port());
    token = installation.token("agent-1", "acme").token();
  }

  @AfterEach
  void stop() throws Exception {
    keyward.close();
    vertx.close();
    vault.close();
  }

  HttpResponse<String> call() throws Exception {
    return agent.post("/r/local/chat", token, "{}");
  }

  static String keyOf(RecordingUpstream.Received received) {
    return received.headers().get("Authorization").substring("Bearer ".length());
  }

  @Test
  void theKeyComesFromVaultAndTheAuditNamesItsVersion() throws Exception {
    try (AuditCapture audit = new AuditCapture(dir)) {
      HttpResponse<String> response = call();
      assertEquals(200, response.statusCode(), response.body());
      assertEquals(KEY_1, keyOf(upstream.only()));
      JsonObject record = audit.forRequest(response.headers().firstValue("x-request-id").orElseThrow());
      assertEquals(1, record.getInteger("credential_version"));
    }
    assertTrue(vault.calls("kv.read") >= 1);
    assertFalse(vault.rawKv().contains(KEY_1), "Vault holds the key in the clear");
  }

  /**
   * Four agents call in a loop (bounded in count and time) through four phases: before the
   * rotation, after it but within the TTL, past the TTL until the new key is first seen, and
   * after that. Phases are ordered by what happened, not by wall-clock time: each request is
   * tagged with the phase that was current when it was sent and still when it was answered.
   */
  @Test
  void rotatingUnderLoadFailsNoRequestAndTheNewKeyIsUsedAfterTheTtl() throws Exception {
    Map<String, String> keyByRequestId = new ConcurrentHashMap<>();
    upstream.respondWith(request -> {
      keyByRequestId.put(request.getHeader("X-Request-Id"),
          request.getHeader("Authorization").substring("Bearer ".length()));
      request.response().end("{}");
    });
    AtomicInteger phase = new AtomicInteger(BEFORE_ROTATION);
    Map<String, Integer> phaseByRequestId = new ConcurrentHashMap<>();
    List<Integer> failures = new CopyOnWriteArrayList<>();
    int[] sentInPhase = new int[4];
    Instant deadline = Instant.now().plusSeconds(60);
    ExecutorService load = Executors.newFixedThreadPool(4);
    List<Future<?>> workers = new ArrayList<>();
    for (int w = 0; w < 4; w++) {
      workers.add(load.submit(() -> {
        for (int sent = 0; sent < 5_000 && phase.get() != DONE
            && Instant.now().isBefore(deadline); sent++) {
          int sentIn = phase.get();
          HttpResponse<String> response = call();
          if (response.statusCode() != 200) {
            failures.add(response.statusCode());
          } else if (phase.get() == sentIn) { // a request that spans a flip belongs to neither
            phaseByRequestId.put(response.headers().firstValue("x-request-id").orElseThrow(),
                sentIn);
            synchronized (sentInPhase) {
              sentInPhase[sentIn]++;
            }
          }
        }
        return null;
      }));
    }
    awaitRequests(sentInPhase, BEFORE_ROTATION);
    installation.credentials(store -> store.rotate("acme", "local",
        Secret.copyOf(KEY_2.getBytes(StandardCharsets.US_ASCII)), "operator"));
    phase.set(WITHIN_TTL);
    clock.advance(TTL.minus(A_MOMENT));
    awaitRequests(sentInPhase, WITHIN_TTL);
    phase.set(PAST_TTL);
    clock.advance(A_MOMENT.multipliedBy(2));
    Awaitility.await("the new key in use").atMost(Duration.ofSeconds(20))
        .until(() -> keyByRequestId.containsValue(KEY_2));
    phase.set(AFTER_SWITCH);
    awaitRequests(sentInPhase, AFTER_SWITCH);
    phase.set(DONE);
    for (Future<?> worker : workers) {
      worker.get(30, TimeUnit.SECONDS);
    }
    load.shutdown();

    assertEquals(List.of(), failures, "requests failed during the rotation");
    for (Map.Entry<String, Integer> sent : phaseByRequestId.entrySet()) {
      String key = keyByRequestId.get(sent.getKey());
      switch (sent.getValue()) {
        case BEFORE_ROTATION -> assertEquals(KEY_1, key, "before the rotation");
        case WITHIN_TTL -> assertEquals(KEY_1, key, "within the TTL the cached version serves");
        case AFTER_SWITCH -> assertEquals(KEY_2, key, "the old key came back after the switch");
        default -> { } // past the TTL, before the refresh landed: either key
      }
    }
  }

  static final int BEFORE_ROTATION = 0;
  static final int WITHIN_TTL = 1;
  static final int PAST_TTL = 2;
  static final int AFTER_SWITCH = 3;
  static final int DONE = 4;

  /** Waits until some requests sent in {@code phase} have been answered. */
  static void awaitRequests(int[] sentInPhase, int phase) {
    Awaitility.await("requests in phase " + phase).atMost(Duration.ofSeconds(20)).until(() -> {
      synchronized (sentInPhase) {
        return sentInPhase[phase] >= 20;
      }
    });
  }

  @Test
  void whileVaultIsDownTheCacheServesForTheStaleWindowThenRequestsFailClosed() throws Exception {
    assertEquals(200, call().statusCode());
    vault.down();
    assertEquals(200, call().statusCode(), "cached right after Vault went down");
    clock.advance(TTL.plus(A_MOMENT));
    assertEquals(200, call().statusCode(), "stale, within the window");
    awaitRefreshFailures(1);
    clock.advance(STALE.minus(TTL).minus(A_MOMENT.multipliedBy(2)));
    assertEquals(200, call().statusCode(), "stale, at the end of the window");
    awaitRefreshFailures(2);

    clock.advance(A_MOMENT.multipliedBy(2));
    HttpResponse<String> refused = call();
    assertEquals(503, refused.statusCode(), "still serving after the stale window");
    assertEquals("credential_unavailable",
        new JsonObject(refused.body()).getJsonObject("error").getString("code"));

    vault.up();
    // The failed load leaves the cache asynchronously: the next request or the one after loads.
    Awaitility.await("recovered after Vault came back").atMost(Duration.ofSeconds(10))
        .until(() -> call().statusCode() == 200);
  }

  /** A refresh in flight keeps its entry from expiring: let each failed one end first. */
  void awaitRefreshFailures(double count) {
    Awaitility.await("failed credential refreshes").atMost(Duration.ofSeconds(20))
        .until(() -> metric("keyward_credential_cache_load_failures_total") >= count);
  }

  double metric(String name) throws Exception {
    String metrics = new Agent(keyward.adminPort()).get("/metrics", null).body();
    return metrics.lines().filter(line -> line.startsWith(name + " "))
        .mapToDouble(line -> Double.parseDouble(line.substring(name.length() + 1)))
        .findFirst().orElseThrow(() -> new AssertionError("no metric " + name));
  }

  HttpResponse<String> readyz() throws Exception {
    return new Agent(keyward.adminPort()).get("/readyz", null);
  }

  /** Polls /readyz until it answers {@code status}, for up to 10 s. */
  HttpResponse<String> readyzUntil(int status) {
    return Awaitility.await("/readyz answering " + status).atMost(Duration.ofSeconds(10))
        .until(this::readyz, response -> response.statusCode() == status);
  }

  @Test
  void withVaultDownAndNothingCachedTheInstanceIsNotReady() throws Exception {
    vault.down();
    HttpResponse<String> response = readyzUntil(503);
    assertEquals(503, response.statusCode(), response.body());
    assertTrue(new JsonObject(response.body()).getJsonObject("checks").getString("store")
        .contains("cannot be read"), response.body());
    String metrics = new Agent(keyward.adminPort()).get("/metrics", null).body();
    assertFalse(metrics.contains("keyward_vault_errors_total 0.0"), "Vault errors not counted");
    vault.up();
    assertEquals(200, readyzUntil(200).statusCode(), "ready again once Vault is back");
  }

  @Test
  void aWarmCredentialCacheKeepsTheInstanceReadyWhileVaultIsDown() throws Exception {
    assertEquals(200, call().statusCode());
    vault.down();
    assertFalse(keyward.refreshTokenState(), "the store is down");
    assertEquals(200, readyz().statusCode(), readyz().body());
    assertTrue(metric("keyward_token_state_refresh_failures_total") >= 1,
        "the failed refresh was not counted");
  }
}
