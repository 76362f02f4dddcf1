package dev.keyward.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.testing.Agent;
import dev.keyward.proxy.testing.AuditCapture;
import dev.keyward.proxy.testing.RecordingUpstream;
import dev.keyward.proxy.testing.TestInstallation;
import dev.keyward.vault.Injection;
import dev.keyward.vault.Secret;
import dev.keyward.vault.VaultDouble;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keyward served with `serve --config` against Vault (the HTTP API double): credentials in KV v2,
 * the KEK in Transit, rotation under load, and what happens while Vault is down.
 */
class VaultEndToEndTest {

  static final String KEY_1 = "sk-vault-e2e-first-0123456789";
  static final String KEY_2 = "sk-vault-e2e-second-9876543210";
  static final Duration TTL = Duration.ofMillis(500);
  static final Duration STALE = Duration.ofMillis(2000);

  @TempDir
  Path dir;

  VaultDouble vault;
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
        .config("credentials_cache:\n  ttl: " + TTL.toMillis() + "ms\n  stale_window: "
            + STALE.toMillis() + "ms\n");
    installation.putCredential("acme", "local", KEY_1, List.of("127.0.0.1"), Injection.bearer());
    keyward = installation.start();
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

  @Test
  void rotatingUnderLoadFailsNoRequestAndTheNewKeyIsUsedWithinTheTtl() throws Exception {
    Map<String, String> keyByRequestId = new ConcurrentHashMap<>();
    upstream.respondWith(request -> {
      keyByRequestId.put(request.getHeader("X-Request-Id"),
          request.getHeader("Authorization").substring("Bearer ".length()));
      request.response().end("{}");
    });
    Map<String, Instant> sentAt = new ConcurrentHashMap<>();
    AtomicInteger failures = new AtomicInteger();
    Instant deadline = Instant.now().plusSeconds(4);
    ExecutorService load = Executors.newFixedThreadPool(4);
    List<Future<Integer>> workers = new java.util.ArrayList<>();
    for (int w = 0; w < 4; w++) {
      workers.add(load.submit(() -> {
        int sent = 0;
        while (Instant.now().isBefore(deadline) && sent < 500) {
          Instant at = Instant.now();
          HttpResponse<String> response = call();
          sent++;
          if (response.statusCode() != 200) {
            failures.incrementAndGet();
          } else {
            sentAt.put(response.headers().firstValue("x-request-id").orElseThrow(), at);
          }
        }
        return sent;
      }));
    }
    Thread.sleep(1000);
    Instant rotatedAt = Instant.now();
    installation.credentials(store -> store.rotate("acme", "local",
        Secret.copyOf(KEY_2.getBytes(StandardCharsets.US_ASCII)), "operator"));
    int total = 0;
    for (Future<Integer> worker : workers) {
      total += worker.get(30, TimeUnit.SECONDS);
    }
    load.shutdown();

    assertEquals(0, failures.get(), "requests failed during the rotation");
    assertTrue(total > 20, "the load loop ran: " + total);
    Instant switchedBy = rotatedAt.plus(TTL).plusMillis(500);
    int afterSwitch = 0;
    for (Map.Entry<String, Instant> sent : sentAt.entrySet()) {
      String key = keyByRequestId.get(sent.getKey());
      if (sent.getValue().isBefore(rotatedAt)) {
        assertEquals(KEY_1, key, "before the rotation");
      } else if (sent.getValue().isAfter(switchedBy)) {
        assertEquals(KEY_2, key, "a request sent after the TTL carried the old key");
        afterSwitch++;
      }
    }
    assertTrue(afterSwitch > 0, "no request was sent after the TTL");
  }

  @Test
  void whileVaultIsDownTheCacheServesForTheStaleWindowThenRequestsFailClosed() throws Exception {
    assertEquals(200, call().statusCode());
    vault.down();
    Instant down = Instant.now();
    assertEquals(200, call().statusCode(), "cached right after Vault went down");
    Thread.sleep(TTL.toMillis() + 100);
    assertEquals(200, call().statusCode(), "stale, within the window");

    HttpResponse<String> refused = null;
    while (Instant.now().isBefore(down.plus(STALE).plusSeconds(3))) {
      HttpResponse<String> response = call();
      if (response.statusCode() != 200) {
        refused = response;
        break;
      }
      Thread.sleep(100);
    }
    assertTrue(refused != null, "still serving long after the stale window");
    assertEquals(503, refused.statusCode());
    assertEquals("credential_unavailable",
        new JsonObject(refused.body()).getJsonObject("error").getString("code"));
    assertTrue(Duration.between(down, Instant.now()).compareTo(STALE) >= 0,
        "failed before the stale window ended");

    vault.up();
    HttpResponse<String> recovered = null;
    for (int i = 0; i < 50; i++) {
      recovered = call();
      if (recovered.statusCode() == 200) {
        break;
      }
      Thread.sleep(100);
    }
    assertEquals(200, recovered.statusCode(), "did not recover after Vault came back");
  }

  HttpResponse<String> readyz() throws Exception {
    return new Agent(keyward.adminPort()).get("/readyz", null);
  }

  /** Polls /readyz until it answers {@code status}, for up to 5 s. */
  HttpResponse<String> readyzUntil(int status) throws Exception {
    Instant deadline = Instant.now().plusSeconds(5);
    HttpResponse<String> response = readyz();
    while (response.statusCode() != status && Instant.now().isBefore(deadline)) {
      Thread.sleep(50);
      response = readyz();
    }
    return response;
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
    Thread.sleep(300); // several token-state refreshes fail meanwhile
    assertEquals(200, readyz().statusCode(), readyz().body());
  }
}
