package dev.keyward.proxy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.Keyward;
import dev.keyward.proxy.testing.Agent;
import dev.keyward.proxy.testing.AuditCapture;
import dev.keyward.proxy.testing.RecordingUpstream;
import dev.keyward.proxy.testing.TestInstallation;
import dev.keyward.vault.MutableClock;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The credential and KEK commands as an operator scripts them. */
class CredentialCommandsTest {

  static final String KEY_1 = "sk-cli-first-0123456789abcdef";
  static final String KEY_2 = "sk-cli-second-fedcba9876543210";

  @TempDir
  Path dir;

  TestInstallation installation;
  String config;
  String printed;
  String errors;

  @BeforeEach
  void setUp() throws Exception {
    installation = new TestInstallation(dir).policy("""
        credentials:
          - id: local
            allowed_domains: ["127.0.0.1"]
            allowed_ports: [1]
            allow_insecure_http: true
        """);
    installation.configuration();
    config = dir.resolve("keyward.yaml").toString();
  }

  int run(String stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = Main.run(new Io(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), new CountDownLatch(1)), args);
    printed = out.toString(StandardCharsets.UTF_8);
    errors = err.toString(StandardCharsets.UTF_8);
    return exit;
  }

  void assertNoSecretPrinted() {
    for (String key : new String[] {KEY_1, KEY_2}) {
      assertFalse(printed.contains(key) || errors.contains(key), "a secret was printed");
    }
  }

  @Test
  void putRotateHistoryAndRollbackAsAnOperatorScriptsThem() {
    assertEquals(0, run(KEY_1 + "\n", "credential", "put", "local", "--tenant", "acme",
        "--allowed-domain", "127.0.0.1", "--secret-stdin", "--config", config));
    assertEquals(0, run(KEY_2, "credential", "rotate", "local", "--tenant", "acme",
        "--secret-stdin", "--json", "--config", config));
    assertEquals(2, new JsonObject(printed).getInteger("version"));
    assertEquals(0, run("", "credential", "rollback", "local", "--tenant", "acme",
        "--to-version", "1", "--json", "--config", config));
    JsonObject rolledBack = new JsonObject(printed);
    assertEquals(3, rolledBack.getInteger("version"));
    assertEquals("rollback to version 1", rolledBack.getString("note"));
    assertEquals(0, run("", "credential", "history", "local", "--tenant", "acme", "--json",
        "--config", config));
    assertEquals(3, new JsonArray(printed).size());
    assertNoSecretPrinted();
  }

  @Test
  void listShowsMetadataOnlyAndTheDisabledState() {
    run(KEY_1, "credential", "put", "local", "--tenant", "acme", "--allowed-domain", "127.0.0.1",
        "--secret-stdin", "--config", config);
    assertEquals(0, run("", "credential", "disable", "local", "--tenant", "acme", "--config",
        config));
    assertEquals(0, run("", "credential", "list", "--json", "--config", config));
    JsonObject listed = new JsonArray(printed).getJsonObject(0);
    assertEquals("acme", listed.getString("tenant"));
    assertTrue(listed.getBoolean("disabled"));
    assertNoSecretPrinted();
  }

  @Test
  void aSecretIsNeverAcceptedAsACommandLineArgument() {
    assertEquals(ExitCodes.USAGE, run("", "credential", "put", "local", "--allowed-domain",
        "127.0.0.1", "--secret", KEY_1, "--config", config));
    assertEquals(ExitCodes.USAGE, run("", "credential", "put", "local", "--allowed-domain",
        "127.0.0.1", "--config", config));
  }

  @Test
  void rotatingAnUnknownCredentialExitsNotFound() {
    assertEquals(ExitCodes.NOT_FOUND, run(KEY_1, "credential", "rotate", "nope", "--secret-stdin",
        "--config", config));
    assertTrue(errors.contains("no credential default/nope"), errors);
  }

  @Test
  void kekRotationRewrapsEverythingAndARunningServerKeepsServing() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (RecordingUpstream upstream = RecordingUpstream.http(vertx)) {
      installation.policy("""
          credentials:
            - id: local
              allowed_domains: ["127.0.0.1"]
              allowed_ports: [%d]
              allow_insecure_http: true
              allow_addresses: ["127.0.0.1/32"]
          routes:
            - name: local
              upstream: http://127.0.0.1:%d
              credential: local
          grants:
            - tenants: [acme]
              credentials: [local]
          """.formatted(upstream.port(), upstream.port()))
          .config("credentials_cache:\n  ttl: 30s\n  stale_window: 10m\n");
      run(KEY_1, "credential", "put", "local", "--tenant", "acme", "--allowed-domain",
          "127.0.0.1", "--secret-stdin", "--config", config);
      MutableClock clock = new MutableClock(Instant.now());
      try (Keyward keyward = installation.start(clock); AuditCapture audit = new AuditCapture(dir)) {
        Agent agent = new Agent(keyward.port());
        String token = installation.token("agent-1", "acme").token();
        assertEquals(200, agent.post("/r/local/x", token, "{}").statusCode());

        assertEquals(0, run("", "kek", "rotate", "--config", config));
        assertTrue(printed.contains("rewrapped 1 credential"), printed);

        // Past the cache TTL a request triggers a background refresh to the rewrapped version 2,
        // whose data key only the rotated KEK opens; every request meanwhile must succeed.
        clock.advance(Duration.ofSeconds(31));
        Awaitility.await("the rewrapped version used").atMost(Duration.ofSeconds(10)).until(() -> {
          HttpResponse<String> after = agent.post("/r/local/x", token, "{}");
          assertEquals(200, after.statusCode(), after.body());
          return audit.forRequest(after.headers().firstValue("x-request-id").orElseThrow())
              .getInteger("credential_version");
        }, version -> version == 2);
        assertTrue(upstream.received().stream()
            .allMatch(r -> r.headers().get("Authorization").equals("Bearer " + KEY_1)));
        String newToken = installation.token("agent-2", "acme").token(); // signing keys rewrapped
        assertEquals(200, agent.post("/r/local/x", newToken, "{}").statusCode());
      }
    } finally {
      vertx.close();
    }
  }
}
