package dev.keyward.proxy.clients;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.Keyward;
import dev.keyward.proxy.dev.FakeProvider;
import dev.keyward.proxy.testing.Agent;
import dev.keyward.proxy.testing.AuditCapture;
import dev.keyward.proxy.testing.NodeClients;
import dev.keyward.proxy.testing.RecordingUpstream;
import dev.keyward.proxy.testing.Secrets;
import dev.keyward.proxy.testing.TestInstallation;
import dev.keyward.vault.Injection;
import dev.keyward.vault.Secret;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keyward driven by the official OpenAI and Anthropic Node SDKs, as agents use it: the SDK's base
 * URL is a route, its API key the platform token. Upstreams are {@link FakeProvider}s (one per
 * provider, each expecting its own key) and, where a test needs to shape the answer, a {@link
 * RecordingUpstream}. Every test checks both ends: the upstream got the real key and never the
 * platform token; nothing the SDK printed (stdout and stderr) holds a key.
 *
 * <p>Skipped without Node.js (see {@link NodeClients}); CI sets {@code KEYWARD_REQUIRE_NODE=1}.
 */
class NodeSdkEndToEndTest {

  static final String OPENAI_KEY = "sk-proj-nodesdk-openai-4d5e6f7a8b9c0d1e2f3a4b5c";
  static final String ANTHROPIC_KEY = "sk-ant-api03-nodesdk-9f8e7d6c5b4a3f2e1d0c";
  static final String LEAKY_KEY = "sk-proj-nodesdk-leaky-0a1b2c3d4e5f6a7b8c9d";
  /** Stored for a route to the Anthropic fake, which expects another key: a revoked key, say. */
  static final String STALE_KEY = "sk-ant-api03-nodesdk-stale-5b6c7d8e9f0a1b2c";

  @TempDir
  static Path dir;

  static NodeClients node;
  static Vertx vertx;
  static FakeProvider openAi;
  static FakeProvider anthropic;
  static RecordingUpstream leaky;
  static TestInstallation installation;
  static Keyward keyward;
  static String token;

  @BeforeAll
  static void start() throws Exception {
    node = NodeClients.require();
    for (String key : List.of(OPENAI_KEY, ANTHROPIC_KEY, LEAKY_KEY, STALE_KEY)) {
      Secrets.register(key);
    }
    vertx = Vertx.vertx();
    openAi = FakeProvider.startAndWait(vertx, secret(OPENAI_KEY));
    anthropic = FakeProvider.startAndWait(vertx, secret(ANTHROPIC_KEY));
    leaky = RecordingUpstream.http(vertx);
    installation = new TestInstallation(dir).policy("""
        credentials:
          - id: openai
            allowed_domains: ["127.0.0.1"]
            allowed_ports: [%1$d]
            allow_insecure_http: true
            allow_addresses: ["127.0.0.1/32"]
          - id: anthropic
            allowed_domains: ["127.0.0.1"]
            allowed_ports: [%2$d]
            allow_insecure_http: true
            allow_addresses: ["127.0.0.1/32"]
          - id: stale
            allowed_domains: ["127.0.0.1"]
            allowed_ports: [%2$d]
            allow_insecure_http: true
            allow_addresses: ["127.0.0.1/32"]
          - id: leaky
            allowed_domains: ["127.0.0.1"]
            allowed_ports: [%3$d]
            allow_insecure_http: true
            allow_addresses: ["127.0.0.1/32"]
        routes:
          - name: openai
            upstream: http://127.0.0.1:%1$d/v1
            credential: openai
            api: openai
          - name: anthropic
            upstream: http://127.0.0.1:%2$d
            credential: anthropic
            api: anthropic
          - name: leaky
            upstream: http://127.0.0.1:%3$d/v1
            credential: leaky
            api: openai
          - name: stale
            upstream: http://127.0.0.1:%2$d
            credential: stale
            api: anthropic
        grants:
          - tenants: [acme]
            credentials: [openai, anthropic, leaky, stale]
        """.formatted(openAi.port(), anthropic.port(), leaky.port()));
    List<String> loopback = List.of("127.0.0.1");
    installation.putCredential("acme", "openai", OPENAI_KEY, loopback, Injection.bearer());
    installation.putCredential("acme", "anthropic", ANTHROPIC_KEY, loopback,
        Injection.forProvider("anthropic"));
    installation.putCredential("acme", "leaky", LEAKY_KEY, loopback, Injection.bearer());
    installation.putCredential("acme", "stale", STALE_KEY, loopback,
        Injection.forProvider("anthropic"));
    keyward = installation.start();
    token = installation.token("sdk-agent", "acme").token();
  }

  static Secret secret(String key) {
    return Secret.copyOf(key.getBytes(StandardCharsets.US_ASCII));
  }

  /** Stops everything, after checking that no secret reached Keyward's metrics or audit log. */
  @AfterAll
  static void stop() throws Exception {
    if (keyward == null) {
      return;
    }
    try {
      String metrics = new Agent(keyward.adminPort()).get("/metrics", null).body();
      keyward.close();
      List<String> inMetrics = Secrets.foundIn(metrics);
      List<String> inAudit = Secrets.foundIn(new AuditCapture(dir).rawText());
      assertTrue(inMetrics.isEmpty() && inAudit.isEmpty(),
          "secrets leaked: metrics " + inMetrics + ", audit " + inAudit);
    } finally {
      keyward.close();
      openAi.close();
      anthropic.close();
      leaky.close();
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
  }

  @BeforeEach
  void forget() {
    openAi.forgetReceived();
    anthropic.forgetReceived();
    leaky.received().clear();
  }

  String base(String route) {
    return "http://127.0.0.1:" + keyward.port() + "/r/" + route;
  }

  /** Runs a client script against {@code route} with {@code withToken} as its API key. */
  NodeClients.Run sdk(String script, String scenario, String route, String withToken,
      String message) throws Exception {
    NodeClients.Run run = node.run(script, scenario, Map.of("KEYWARD_BASE_URL", base(route),
        "KEYWARD_TOKEN", withToken, "KEYWARD_MESSAGE", message));
    // Before anything prints the output: it must hold no key and no token.
    assertEquals(List.of(), Secrets.foundIn(run.everything()), "a secret in the SDK's output");
    assertEquals(0, run.exit(), run.describe());
    assertNotNull(run.result(), run.describe());
    return run;
  }

  static JsonObject ok(NodeClients.Run run) {
    assertTrue(run.result().getBoolean("ok"), run.describe());
    return run.result();
  }

  static JsonObject error(NodeClients.Run run) {
    assertFalse(run.result().getBoolean("ok"), run.describe());
    return run.result().getJsonObject("error");
  }

  /** The one request {@code fake} received: the real key in {@code header}, no platform token. */
  static FakeProvider.Received receivedWithKey(FakeProvider fake, String header, String value) {
    List<FakeProvider.Received> received = fake.received();
    assertEquals(1, received.size(), "requests upstream: " + received);
    FakeProvider.Received request = received.get(0);
    assertEquals(value, request.headers().get(header));
    String everything = request.headers().entries().toString() + request.body();
    assertFalse(everything.contains(token), "the platform token went upstream");
    return request;
  }

  @Test
  void openAiChatCompletionReturnsTheReplyAndUsageWithTheKeyInjected() throws Exception {
    JsonObject result = ok(sdk("openai-client.mjs", "chat", "openai", token, "Hello OpenAI"));

    assertEquals("You said: Hello OpenAI", result.getString("content"));
    assertEquals("gpt-4o-mini", result.getString("model"));
    assertEquals("stop", result.getString("finishReason"));
    assertTrue(result.getString("id").startsWith("chatcmpl-"));
    JsonObject usage = result.getJsonObject("usage");
    assertTrue(usage.getInteger("prompt_tokens") > 0);
    assertEquals(usage.getInteger("prompt_tokens") + usage.getInteger("completion_tokens"),
        usage.getInteger("total_tokens"));
    FakeProvider.Received upstream =
        receivedWithKey(openAi, "Authorization", "Bearer " + OPENAI_KEY);
    assertEquals("/v1/chat/completions", upstream.uri());
    assertEquals("gpt-4o-mini", new JsonObject(upstream.body()).getString("model"));
  }

  @Test
  void openAiStreamedChatCompletionArrivesChunkByChunkWithFinalUsage() throws Exception {
    JsonObject result = ok(sdk("openai-client.mjs", "chat-stream", "openai", token,
        "Stream me a few words please"));

    assertEquals("You said: Stream me a few words please", result.getString("content"));
    assertTrue(result.getInteger("chunks") > 5, result.encode());
    assertEquals(1, result.getJsonArray("ids").size());
    assertEquals("stop", result.getString("finishReason"));
    assertTrue(result.getJsonObject("usage").getInteger("completion_tokens") > 0);
    FakeProvider.Received upstream =
        receivedWithKey(openAi, "Authorization", "Bearer " + OPENAI_KEY);
    JsonObject sent = new JsonObject(upstream.body());
    assertEquals(Boolean.TRUE, sent.getBoolean("stream"));
    assertEquals(Boolean.TRUE, sent.getJsonObject("stream_options").getBoolean("include_usage"));
    JsonObject metered = new AuditCapture(dir).forRequest(upstream.headers().get("X-Request-Id"))
        .getJsonObject("usage");
    assertEquals(result.getJsonObject("usage").getLong("completion_tokens"),
        metered.getLong("output_tokens"), "Keyward metered what the SDK was told");
  }

  @Test
  void anthropicMessageReturnsTheReplyAndUsageWithTheKeyInXApiKey() throws Exception {
    JsonObject result = ok(sdk("anthropic-client.mjs", "messages", "anthropic", token,
        "Hello Claude"));

    assertEquals("You said: Hello Claude", result.getString("content"));
    assertEquals("claude-haiku-4-5", result.getString("model"));
    assertEquals("end_turn", result.getString("stopReason"));
    assertTrue(result.getString("id").startsWith("msg_"));
    assertTrue(result.getJsonObject("usage").getInteger("input_tokens") > 0);
    assertTrue(result.getJsonObject("usage").getInteger("output_tokens") > 0);
    FakeProvider.Received upstream = receivedWithKey(anthropic, "x-api-key", ANTHROPIC_KEY);
    assertEquals("/v1/messages", upstream.uri());
    assertEquals("2023-06-01", upstream.headers().get("anthropic-version"));
    assertEquals(null, upstream.headers().get("Authorization"));
  }

  @Test
  void anthropicStreamedMessageDeliversEveryEventAndTheFinalUsage() throws Exception {
    JsonObject result = ok(sdk("anthropic-client.mjs", "messages-stream", "anthropic", token,
        "Stream to me, Claude"));

    assertEquals("You said: Stream to me, Claude", result.getString("content"));
    JsonArray events = result.getJsonArray("events");
    assertEquals("message_start", events.getString(0));
    assertEquals("message_stop", events.getString(events.size() - 1));
    assertTrue(events.contains("content_block_delta") && events.contains("message_delta"));
    assertEquals("end_turn", result.getString("stopReason"));
    assertTrue(result.getJsonObject("usage").getInteger("output_tokens") > 1,
        "the cumulative output count from message_delta: " + result.encode());
    FakeProvider.Received upstream = receivedWithKey(anthropic, "x-api-key", ANTHROPIC_KEY);
    assertEquals(Boolean.TRUE, new JsonObject(upstream.body()).getBoolean("stream"));
  }

  static byte[] gzip(String text) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
      gzip.write(text.getBytes(StandardCharsets.UTF_8));
    }
    return out.toByteArray();
  }

  @Test
  void aGzippedUpstreamErrorQuotingTheKeyReachesTheOpenAiSdkRedacted() throws Exception {
    byte[] body = gzip("{\"error\":{\"message\":\"Incorrect API key provided: " + LEAKY_KEY
        + ". You can find your API key at https://platform.openai.com/account/api-keys.\","
        + "\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"invalid_api_key\"}}");
    leaky.respondWith(request -> request.response().setStatusCode(401)
        .putHeader("Content-Type", "application/json").putHeader("Content-Encoding", "gzip")
        .end(Buffer.buffer(body)));

    JsonObject error = error(sdk("openai-client.mjs", "chat", "leaky", token, "hi"));

    assertEquals(401, error.getInteger("status"));
    assertEquals("invalid_api_key", error.getString("code"));
    assertTrue(error.getString("message").contains("Incorrect API key provided: [REDACTED]"),
        error.encode());
    RecordingUpstream.Received upstream = leaky.only();
    assertEquals("Bearer " + LEAKY_KEY, upstream.headers().get("Authorization"));
    assertEquals("identity", upstream.headers().get("Accept-Encoding"));
    assertFalse(upstream.everything().contains(token));
  }

  @Test
  void aProviderQuotingAWrongStoredKeyReachesTheAnthropicSdkRedacted() throws Exception {
    JsonObject error = error(sdk("anthropic-client.mjs", "messages", "stale", token, "hi"));

    assertEquals(401, error.getInteger("status"));
    assertEquals("AuthenticationError", error.getString("name"));
    assertEquals("invalid x-api-key: Incorrect API key provided: [REDACTED]",
        error.getJsonObject("body").getJsonObject("error").getString("message"));
    receivedWithKey(anthropic, "x-api-key", STALE_KEY);
  }

  @Test
  void theOpenAiSdkAsksForGzipByDefaultSoTheGzipCaseIsWhatAgentsSend() throws Exception {
    String notAKey = Secrets.register("sk-not-a-key-direct-call-5e6f7a8b");
    NodeClients.Run run = node.run("openai-client.mjs", "chat", Map.of(
        "KEYWARD_BASE_URL", "http://127.0.0.1:" + leaky.port() + "/v1",
        "KEYWARD_TOKEN", notAKey, "KEYWARD_MESSAGE", "hi"));

    assertEquals(0, run.exit(), run.describe());
    String acceptEncoding = leaky.only().headers().get("Accept-Encoding");
    assertNotNull(acceptEncoding, "the SDK sent no Accept-Encoding");
    assertTrue(acceptEncoding.contains("gzip"), acceptEncoding);
  }

  @Test
  void aBadPlatformTokenIsA401WithKeywardsCodeInTheOpenAiSdk() throws Exception {
    int at = token.length() - 10; // inside the signature, where every character holds 6 bits
    String forged = Secrets.register(token.substring(0, at)
        + (token.charAt(at) == 'A' ? 'B' : 'A') + token.substring(at + 1));

    JsonObject error = error(sdk("openai-client.mjs", "chat", "openai", forged, "hi"));

    assertEquals(401, error.getInteger("status"));
    assertEquals("AuthenticationError", error.getString("name"));
    assertEquals("invalid_signature", error.getString("code"));
    assertNotNull(error.getJsonObject("body").getString("request_id"));
    assertTrue(openAi.received().isEmpty(), "a refused request reached the upstream");
  }

  @Test
  void aBadPlatformTokenIsA401WithKeywardsCodeInTheAnthropicSdk() throws Exception {
    JsonObject error = error(sdk("anthropic-client.mjs", "messages", "anthropic",
        "not-a-platform-token", "hi"));

    assertEquals(401, error.getInteger("status"));
    assertEquals("AuthenticationError", error.getString("name"));
    assertEquals("malformed_token",
        error.getJsonObject("body").getJsonObject("error").getString("code"));
    assertTrue(anthropic.received().isEmpty(), "a refused request reached the upstream");
  }

  @Test
  void anUnknownRouteIsA404WithKeywardsCodeInTheOpenAiSdk() throws Exception {
    JsonObject error = error(sdk("openai-client.mjs", "chat", "no-such-route", token, "hi"));

    assertEquals(404, error.getInteger("status"));
    assertEquals("NotFoundError", error.getString("name"));
    assertEquals("unknown_route", error.getString("code"));
    assertTrue(openAi.received().isEmpty() && anthropic.received().isEmpty()
        && leaky.received().isEmpty(), "a refused request reached an upstream");
  }
}
