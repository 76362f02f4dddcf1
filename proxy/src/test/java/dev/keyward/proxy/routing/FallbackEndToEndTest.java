package dev.keyward.proxy.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.Keyward;
import dev.keyward.proxy.dev.FakeProvider;
import dev.keyward.proxy.forward.HostResolver;
import dev.keyward.proxy.testing.Agent;
import dev.keyward.proxy.testing.AuditCapture;
import dev.keyward.proxy.testing.RecordingUpstream;
import dev.keyward.proxy.testing.Secrets;
import dev.keyward.proxy.testing.TestInstallation;
import dev.keyward.proxy.testing.TestTls;
import dev.keyward.vault.Injection;
import dev.keyward.vault.Secret;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Routes with targets through the real proxy: each way a first target can fail, and the second
 * (the built-in fake provider) answering instead; what is never retried; what the agent gets when
 * nothing answers; one audit record per attempt.
 */
class FallbackEndToEndTest {

  static final String KEY_ONE = "sk-fallback-one-0123456789abcdef0123";
  static final String KEY_TWO = "sk-fallback-two-abcdef0123456789abcd";
  static final String NOWHERE = "nowhere.keyward.test";

  @TempDir
  Path dir;

  Vertx vertx;
  RecordingUpstream primary;
  RecordingUpstream silent;
  RecordingUpstream untrusted;
  FakeProvider backup;
  TestInstallation installation;
  Keyward keyward;
  Agent agent;
  AuditCapture audit;
  String token;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    Secrets.register(KEY_ONE);
    Secrets.register(KEY_TWO);
    primary = RecordingUpstream.http(vertx);
    silent = RecordingUpstream.http(vertx).respondWith(request -> { }); // never answers
    untrusted = RecordingUpstream.https(vertx, TestTls.selfSigned(dir, "127.0.0.1"));
    backup = FakeProvider.startAndWait(vertx,
        Secret.copyOf(KEY_TWO.getBytes(StandardCharsets.US_ASCII)));
    int closed = closedPort();
    installation = new TestInstallation(dir).policy("""
        credentials:
          - id: one
            allowed_domains: ["127.0.0.1"]
            allowed_ports: [%1$d, %2$d, %3$d, %4$d]
            allow_insecure_http: true
            allow_addresses: ["127.0.0.1/32"]
          - id: two
            allowed_domains: ["127.0.0.1"]
            allowed_ports: [%5$d]
            allow_insecure_http: true
            allow_addresses: ["127.0.0.1/32"]
          - id: ghost
            allowed_domains: ["%6$s"]
            allowed_ports: [80]
            allow_insecure_http: true
          - id: byok
            allowed_domains: ["127.0.0.1"]
            allowed_ports: [%5$d]
            allow_insecure_http: true
            allow_addresses: ["127.0.0.1/32"]
          - id: capped
            allowed_domains: ["127.0.0.1"]
            allowed_ports: [%1$d]
            allow_insecure_http: true
            allow_addresses: ["127.0.0.1/32"]
          - id: ungranted
            allowed_domains: ["127.0.0.1"]
            allowed_ports: [%1$d]
            allow_insecure_http: true
            allow_addresses: ["127.0.0.1/32"]
          - id: narrow
            allowed_domains: ["127.0.0.1"]
            allowed_ports: [%1$d]
            allow_insecure_http: true
            allow_addresses: ["127.0.0.1/32"]
            models: [gpt-5-nano]
        routes:
          - name: chat
            api: openai
            targets:
              - {name: primary, credential: one, upstream: "http://127.0.0.1:%1$d/v1"}
              - {name: backup, credential: two, upstream: "http://127.0.0.1:%5$d/v1"}
          - name: refused
            api: openai
            targets:
              - {name: closed, credential: one, upstream: "http://127.0.0.1:%4$d/v1"}
              - {name: backup, credential: two, upstream: "http://127.0.0.1:%5$d/v1"}
          - name: tls
            api: openai
            targets:
              - {name: untrusted, credential: one, upstream: "https://127.0.0.1:%3$d/v1"}
              - {name: backup, credential: two, upstream: "http://127.0.0.1:%5$d/v1"}
          - name: dns
            api: openai
            targets:
              - {name: nowhere, credential: ghost, upstream: "http://%6$s/v1"}
              - {name: backup, credential: two, upstream: "http://127.0.0.1:%5$d/v1"}
          - name: silent
            api: openai
            targets:
              - name: silent
                credential: one
                upstream: http://127.0.0.1:%2$d/v1
                first_byte_timeout: 300ms
              - {name: backup, credential: two, upstream: "http://127.0.0.1:%5$d/v1"}
          - name: byok
            api: openai
            targets:
              - {name: own-key, credential: byok, upstream: "http://127.0.0.1:%5$d/v1"}
              - {name: backup, credential: two, upstream: "http://127.0.0.1:%5$d/v1"}
          - name: budgeted
            api: openai
            targets:
              - {name: capped, credential: capped, upstream: "http://127.0.0.1:%1$d/v1"}
              - {name: backup, credential: two, upstream: "http://127.0.0.1:%5$d/v1"}
          - name: broke
            api: openai
            targets:
              - {name: capped, credential: capped, upstream: "http://127.0.0.1:%1$d/v1"}
          - name: doomed
            api: openai
            targets:
              - {name: primary, credential: one, upstream: "http://127.0.0.1:%1$d/v1"}
              - {name: closed, credential: one, upstream: "http://127.0.0.1:%4$d/v1"}
          - name: partly
            api: openai
            targets:
              - {name: ungranted, credential: ungranted, upstream: "http://127.0.0.1:%1$d/v1"}
              - {name: narrow, credential: narrow, upstream: "http://127.0.0.1:%1$d/v1"}
              - {name: backup, credential: two, upstream: "http://127.0.0.1:%5$d/v1"}
          - name: closed-off
            api: openai
            targets:
              - {name: ungranted, credential: ungranted, upstream: "http://127.0.0.1:%1$d/v1"}
              - {name: narrow, credential: narrow, upstream: "http://127.0.0.1:%1$d/v1"}
        grants:
          - tenants: [acme]
            credentials: [one, two, ghost, byok, capped, narrow]
        budgets:
          - name: capped-daily
            scope: credential
            credentials: [capped]
            usd: 0.000001
            period: daily
        """.formatted(primary.port(), silent.port(), untrusted.port(), closed, backup.port(),
            NOWHERE))
        .config("""
            pricing:
              models:
                gpt-5-mini: {input: 0.25, output: 2.00, cached_input: 0.025}
            """);
    List<String> loopback = List.of("127.0.0.1");
    installation.putCredential("acme", "one", KEY_ONE, loopback, Injection.bearer());
    installation.putCredential("acme", "two", KEY_TWO, loopback, Injection.bearer());
    installation.putCredential("acme", "ghost", KEY_ONE, List.of(NOWHERE), Injection.bearer());
    installation.putCredential("acme", "capped", KEY_ONE, loopback, Injection.bearer());
    installation.putCredential("acme", "ungranted", KEY_ONE, loopback, Injection.bearer());
    installation.putCredential("acme", "narrow", KEY_ONE, loopback, Injection.bearer());
    // No "byok": the tenant never connected that provider.
    HostResolver noNowhere = host -> {
      if (host.equals(NOWHERE)) {
        throw new UnknownHostException(host);
      }
      return HostResolver.SYSTEM.resolve(host);
    };
    keyward = installation.start(Clock.systemUTC(), noNowhere);
    agent = new Agent(keyward.port());
    audit = new AuditCapture(dir);
    token = installation.token("agent-1", "acme").token();
  }

  @AfterEach
  void stop() throws Exception {
    keyward.close();
    primary.close();
    silent.close();
    untrusted.close();
    backup.close();
    vertx.close();
  }

  static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort(); // closed again: connections to it are refused
    }
  }

  static String chat(boolean stream) {
    return new JsonObject().put("model", "gpt-5-mini").put("stream", stream)
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user")
            .put("content", "Say hi"))).encode();
  }

  HttpResponse<String> post(String route) throws Exception {
    return agent.post("/r/" + route + "/chat/completions", token, chat(false));
  }

  static String requestId(HttpResponse<?> response) {
    return response.headers().firstValue("x-request-id").orElseThrow();
  }

  static String servedBy(HttpResponse<?> response) {
    return response.headers().firstValue("x-keyward-target").orElse("(none)");
  }

  /** The agent got the backup's answer, and the first attempt's record says {@code code}. */
  void servedByBackupAfter(HttpResponse<String> response, String code) throws Exception {
    assertEquals(200, response.statusCode(), response.body());
    assertEquals("backup", servedBy(response));
    assertEquals("You said: Say hi", new JsonObject(response.body()).getJsonArray("choices")
        .getJsonObject(0).getJsonObject("message").getString("content"));
    List<JsonObject> attempts = audit.attempts(requestId(response));
    assertEquals(2, attempts.size(), attempts.toString());
    assertEquals(code, attempts.get(0).getString("code"), attempts.get(0).encode());
    assertEquals("served", attempts.get(1).getString("outcome"));
    assertEquals(1, backup.received().size(), "the backup got the call once");
  }

  @ParameterizedTest
  @ValueSource(ints = {429, 500, 502, 503, 401, 402, 403})
  void aStatusThatSaysTheTargetFailedFallsBackToTheNextTarget(int status) throws Exception {
    primary.respondWith(request -> request.response().setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .end("{\"error\":{\"message\":\"PRIMARY-BODY " + status + "\"}}"));

    HttpResponse<String> response = post("chat");

    String code = status == 429 ? "upstream_rate_limited"
        : status >= 500 ? "upstream_error" : "upstream_key_refused";
    servedByBackupAfter(response, code);
    assertFalse(response.body().contains("PRIMARY-BODY"), "the failed answer reached the agent");
    JsonObject first = audit.attempts(requestId(response)).get(0);
    assertEquals("failed", first.getString("outcome"));
    assertEquals(status, first.getInteger("upstream_status"));
    assertEquals(1, primary.received().size());
  }

  @Test
  void aRefusedConnectionFallsBack() throws Exception {
    servedByBackupAfter(post("refused"), "upstream_unreachable");
  }

  @Test
  void aTlsFailureFallsBack() throws Exception {
    servedByBackupAfter(post("tls"), "upstream_tls_error");
    assertTrue(untrusted.received().isEmpty(), "nothing was sent over the refused TLS session");
  }

  @Test
  void anUnresolvableHostFallsBack() throws Exception {
    servedByBackupAfter(post("dns"), "upstream_dns_error");
  }

  @Test
  void anUpstreamThatNeverAnswersFallsBackAfterItsFirstByteTimeout() throws Exception {
    HttpResponse<String> response = post("silent");
    servedByBackupAfter(response, "upstream_timeout");
    assertEquals(1, silent.received().size());
  }

  @Test
  void theRequestBodyIsReplayedToTheNextTargetWithItsOwnKey() throws Exception {
    primary.respondWith(request -> request.response().setStatusCode(503).end());
    post("chat");
    RecordingUpstream.Received first = primary.only();
    FakeProvider.Received second = backup.received().get(0);
    assertEquals("Bearer " + KEY_ONE, first.headers().get("Authorization"));
    assertEquals("Bearer " + KEY_TWO, second.headers().get("Authorization"));
    assertEquals(new JsonObject(first.body().toString()).getJsonArray("messages"),
        new JsonObject(second.body()).getJsonArray("messages"));
    assertFalse(second.body().contains(KEY_ONE) || second.headers().toString().contains(KEY_ONE));
  }

  @Test
  void aFailedTargetsAnswerQuotingItsKeyNeverReachesTheAgent() throws Exception {
    primary.respondWith(request -> request.response().setStatusCode(401)
        .end("{\"error\":{\"message\":\"Incorrect API key provided: " + KEY_ONE + "\"}}"));
    HttpResponse<String> response = post("chat");
    assertEquals(200, response.statusCode());
    assertEquals(List.of(), Secrets.foundIn(Agent.everything(response)));
  }

  @Test
  void theAgentsOwnBadRequestIsRelayedAndNotRetried() throws Exception {
    primary.respondWith(request -> request.response().setStatusCode(400)
        .putHeader("Content-Type", "application/json")
        .end("{\"error\":{\"message\":\"messages must not be empty\"}}"));

    HttpResponse<String> response = post("chat");

    assertEquals(400, response.statusCode());
    assertEquals("primary", servedBy(response));
    assertTrue(response.body().contains("messages must not be empty"));
    assertTrue(backup.received().isEmpty());
  }

  @Test
  void anUnconnectedByokTargetIsSkipped() throws Exception {
    HttpResponse<String> response = post("byok");
    servedByBackupAfter(response, "credential_not_found");
    JsonObject skipped = audit.attempts(requestId(response)).get(0);
    assertEquals("skipped", skipped.getString("outcome"));
    assertEquals("own-key", skipped.getString("target"));
    assertEquals(0, skipped.getInteger("upstream_status"));
  }

  @Test
  void targetsThePolicyRefusesAreSkippedEachWithItsOwnDenial() throws Exception {
    HttpResponse<String> response = post("partly");

    assertEquals("backup", servedBy(response));
    List<JsonObject> attempts = audit.attempts(requestId(response));
    assertEquals(List.of("no_grant", "model_not_allowed", "served"),
        attempts.stream().map(a -> a.getString("code")).toList());
    assertEquals(List.of("skipped", "skipped", "served"),
        attempts.stream().map(a -> a.getString("outcome")).toList());
    assertTrue(primary.received().isEmpty(), "a refused target is never called");
  }

  @Test
  void whenThePolicyRefusesEveryTargetTheCallIsRefusedWithTheFirstTargetsDenial()
      throws Exception {
    HttpResponse<String> response = post("closed-off");

    assertEquals(403, response.statusCode(), response.body());
    assertEquals("no_grant", new JsonObject(response.body()).getJsonObject("error")
        .getString("code"));
    assertTrue(primary.received().isEmpty());
    assertEquals("denied", audit.forRequest(requestId(response)).getString("decision"));
  }

  @Test
  void aTargetWhoseBudgetIsSpentIsSkippedAndAudited() throws Exception {
    HttpResponse<String> response = post("budgeted");
    servedByBackupAfter(response, "budget_exceeded");
    JsonObject skipped = audit.attempts(requestId(response)).get(0);
    assertEquals("skipped", skipped.getString("outcome"));
    assertEquals("capped-daily", skipped.getString("rule"));
    assertTrue(primary.received().isEmpty(), "a refused target is never called");
  }

  @Test
  void whenEveryTargetIsRefusedByItsBudgetTheAgentGetsTheBudgetsAnswer() throws Exception {
    HttpResponse<String> response = post("broke");
    assertEquals(429, response.statusCode(), response.body());
    assertEquals("budget_exceeded", new JsonObject(response.body()).getJsonObject("error")
        .getString("code"));
    assertTrue(response.headers().firstValue("retry-after").isPresent());
    JsonObject record = audit.forRequest(requestId(response));
    assertEquals("denied", record.getString("decision"));
    assertEquals("capped-daily", record.getString("rule"));
    assertEquals("capped", record.getString("credential"), "the credential it was refused");
  }

  @Test
  void whenEveryTargetFailsTheAgentGets502AllTargetsFailedListingEachWithoutUpstreamBodies()
      throws Exception {
    primary.respondWith(request -> request.response().setStatusCode(503)
        .end("PRIMARY-BODY overloaded"));

    HttpResponse<String> response = post("doomed");

    assertEquals(502, response.statusCode(), response.body());
    JsonObject error = new JsonObject(response.body()).getJsonObject("error");
    assertEquals("all_targets_failed", error.getString("code"));
    assertEquals(new JsonArray()
            .add(new JsonObject().put("target", "primary").put("code", "upstream_error")
                .put("upstream_status", 503))
            .add(new JsonObject().put("target", "closed").put("code", "upstream_unreachable")),
        error.getJsonArray("attempts"));
    assertFalse(response.body().contains("PRIMARY-BODY"));
    assertTrue(response.headers().firstValue("x-keyward-target").isEmpty());
    JsonObject record = audit.forRequest(requestId(response));
    assertEquals("failed", record.getString("decision"));
    assertEquals("all_targets_failed", record.getString("code"));
    assertEquals("", record.getString("credential"), "no credential answered");
    assertEquals(2, record.getInteger("attempts"));
  }

  @Test
  void everyAttemptIsAKeyAccessWithItsOwnAuditRecord() throws Exception {
    primary.respondWith(request -> request.response().setStatusCode(503).end());

    HttpResponse<String> response = post("chat");

    assertEquals("backup", servedBy(response));
    List<JsonObject> attempts = audit.attempts(requestId(response));
    JsonObject first = attempts.get(0);
    assertEquals(1, first.getInteger("attempt"));
    assertEquals("chat", first.getString("route"));
    assertEquals("primary", first.getString("target"));
    assertEquals("one", first.getString("credential"));
    assertEquals(1, first.getInteger("credential_version"));
    assertEquals("agent-1", first.getString("agent"));
    assertEquals("/v1/chat/completions", first.getString("path"));
    assertEquals("gpt-5-mini", first.getString("model"));
    JsonObject second = attempts.get(1);
    assertEquals(2, second.getInteger("attempt"));
    assertEquals("backup", second.getString("target"));
    assertEquals("two", second.getString("credential"));
    assertEquals("served", second.getString("code"));
    assertEquals(200, second.getInteger("upstream_status"));
    JsonObject record = audit.forRequest(requestId(response));
    assertEquals("allowed", record.getString("decision"));
    assertEquals("backup", record.getString("target"));
    assertEquals(2, record.getInteger("attempts"));
    assertEquals("two", record.getString("credential"));
    assertTrue(record.getJsonObject("usage").getLong("output_tokens") > 0);
  }

  @Test
  void aStreamBrokenAfterItStartedIsNotRetriedAndEndsWithAnErrorEvent() throws Exception {
    String event = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":"
        + "[{\"index\":0,\"delta\":{\"content\":\"words and more words \"}}]}\n\n";
    primary.respondWith(request -> {
      HttpServerResponse out = request.response().setChunked(true)
          .putHeader("Content-Type", "text/event-stream");
      out.write(event + event + event);
      // Half an event, then the connection goes: the agent gets whole events only.
      out.write("data: {\"id\":\"c1\",\"choi").onComplete(v -> request.connection().close());
    });

    HttpResponse<String> response = agent.send(agent.request("/r/chat/chat/completions")
        .header("Authorization", "Bearer " + token)
        .POST(HttpRequest.BodyPublishers.ofString(chat(true))));

    assertEquals(200, response.statusCode());
    assertEquals("primary", servedBy(response));
    String body = response.body();
    assertTrue(body.startsWith(event + event + event), body);
    assertFalse(body.contains("\"choi\n"), "half an event reached the agent: " + body);
    JsonObject last = new JsonObject(body.substring(body.lastIndexOf("data: ") + 6).trim());
    assertEquals("upstream_reset", last.getJsonObject("error").getString("code"));
    assertTrue(backup.received().isEmpty(), "nothing is retried once the answer started");
    JsonObject record = audit.forRequest(requestId(response));
    assertEquals("upstream_reset", record.getString("code"));
    assertTrue(record.getJsonObject("usage").getBoolean("estimated"));
    assertTrue(record.getJsonObject("usage").getLong("output_tokens") > 0,
        "the partial answer is metered");
  }

  @Test
  void aNonStreamedAnswerBrokenAfterItStartedIsResetNotRetried() throws Exception {
    primary.respondWith(request -> request.response().setChunked(true)
        .putHeader("Content-Type", "application/json")
        .write("{\"id\":\"chatcmpl-1\",\"choices\":[")
        .onComplete(v -> request.connection().close()));

    HttpResponse<InputStream> response = agent.sendStreaming(agent
        .request("/r/chat/chat/completions").header("Authorization", "Bearer " + token)
        .POST(HttpRequest.BodyPublishers.ofString(chat(false))));

    assertThrows(IOException.class, () -> response.body().readAllBytes());
    assertEquals("upstream_reset", audit.forRequest(requestId(response)).getString("code"));
    assertTrue(backup.received().isEmpty());
  }
}
