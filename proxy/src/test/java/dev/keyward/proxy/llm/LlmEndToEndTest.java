package dev.keyward.proxy.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.Keyward;
import dev.keyward.proxy.dev.FakeProvider;
import dev.keyward.proxy.testing.Agent;
import dev.keyward.proxy.testing.AuditCapture;
import dev.keyward.proxy.testing.RecordingUpstream;
import dev.keyward.proxy.testing.Secrets;
import dev.keyward.proxy.testing.TestInstallation;
import dev.keyward.token.Purpose;
import dev.keyward.vault.Injection;
import dev.keyward.vault.Secret;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LLM calls through the real proxy against the built-in fake provider, which answers as OpenAI,
 * Anthropic and Gemini do: models allowed and refused, tiers by token purpose, aliases, usage and
 * cost read from JSON and from streams, what the agent sees.
 */
class LlmEndToEndTest {

  static final String KEY = "sk-llm-e2e-0123456789abcdef0123456789";

  @TempDir
  Path dir;

  Vertx vertx;
  FakeProvider provider;
  RecordingUpstream flaky;
  TestInstallation installation;
  Keyward keyward;
  Agent agent;
  AuditCapture audit;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    Secrets.register(KEY);
    provider = FakeProvider.startAndWait(vertx,
        Secret.copyOf(KEY.getBytes(StandardCharsets.US_ASCII)));
    int port = provider.port();
    flaky = RecordingUpstream.http(vertx);
    installation = new TestInstallation(dir).policy("""
        credentials:
          - id: fake
            allowed_domains: ["127.0.0.1"]
            allowed_ports: [%1$d, %2$d]
            allow_insecure_http: true
            allow_addresses: ["127.0.0.1/32"]
            models: [gpt-5-mini, gpt-5-nano, openai/gpt-5-mini, claude-haiku-4-5,
                     gemini-2.5-flash, gemini-2.5-flash-lite, mystery-model]
        routes:
          - name: openai
            upstream: http://127.0.0.1:%1$d/v1
            credential: fake
            api: openai
            tiers: {heartbeat: gpt-5-nano, subagent: gpt-5-nano}
            aliases: {mini: openai/gpt-5-mini}
            max_request_body: 8KiB
          - name: anthropic
            upstream: http://127.0.0.1:%1$d
            credential: fake
            api: anthropic
          - name: flaky
            upstream: http://127.0.0.1:%2$d/v1
            credential: fake
            api: openai
          - name: gemini
            upstream: http://127.0.0.1:%1$d/v1beta
            credential: fake
            api: gemini
            tiers: {heartbeat: gemini-2.5-flash-lite}
        grants:
          - tenants: [acme]
            credentials: [fake]
        """.formatted(port, flaky.port()))
        .config("""
            pricing:
              models:
                gpt-5-mini: {input: 0.25, output: 2.00, cached_input: 0.025}
                gpt-5-nano: {input: 0.05, output: 0.40}
                openai/gpt-5-mini: {input: 0.25, output: 2.00}
                claude-haiku-4-5: {input: 1.00, output: 5.00, cached_input: 0.10}
                gemini-2.5-flash: {input: 0.30, output: 2.50}
                gemini-2.5-flash-lite: {input: 0.10, output: 0.40}
            """);
    installation.putCredential("acme", "fake", KEY, List.of("127.0.0.1"), Injection.bearer());
    keyward = installation.start();
    agent = new Agent(keyward.port());
    audit = new AuditCapture(dir);
  }

  @AfterEach
  void stop() throws Exception {
    keyward.close();
    provider.close();
    flaky.close();
    vertx.close();
  }

  String token() throws Exception {
    return installation.token("agent-1", "acme").token();
  }

  HttpResponse<String> post(String path, String token, String json) throws Exception {
    return agent.post(path, token, json);
  }

  static String chat(String model, boolean stream) {
    return new JsonObject().put("model", model).put("stream", stream)
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user")
            .put("content", "Say hi in five words"))).encode();
  }

  static String code(HttpResponse<String> response) {
    return new JsonObject(response.body()).getJsonObject("error").getString("code");
  }

  JsonObject usageOf(HttpResponse<String> response) throws Exception {
    return audit.forRequest(response.headers().firstValue("x-request-id").orElseThrow())
        .getJsonObject("usage");
  }

  JsonObject lastUpstreamBody() {
    List<FakeProvider.Received> received = provider.received();
    return new JsonObject(received.get(received.size() - 1).body());
  }

  @Test
  void aChatCompletionIsMeteredAndCostedInTheAuditRecord() throws Exception {
    HttpResponse<String> response = post("/r/openai/chat/completions", token(),
        chat("gpt-5-mini", false));
    assertEquals(200, response.statusCode(), response.body());
    JsonObject answer = new JsonObject(response.body());
    JsonObject usage = usageOf(response);
    long input = answer.getJsonObject("usage").getLong("prompt_tokens");
    long output = answer.getJsonObject("usage").getLong("completion_tokens");
    assertEquals(input, usage.getLong("input_tokens"));
    assertEquals(output, usage.getLong("output_tokens"));
    assertEquals("gpt-5-mini", usage.getString("model"));
    assertFalse(usage.getBoolean("estimated"));
    long cached = usage.getLong("cached_input_tokens");
    BigDecimal expected = BigDecimal.valueOf((input - cached) * 250 + cached * 25 + output * 2000)
        .movePointLeft(9);
    assertEquals(0, expected.compareTo(new BigDecimal(usage.getValue("cost_usd").toString())),
        usage.encode());
  }

  @Test
  void everyLlmResponseNamesTheModelSentAndKeywardsOverhead() throws Exception {
    HttpResponse<String> response = post("/r/openai/chat/completions", token(),
        chat("gpt-5-mini", false));
    assertEquals("gpt-5-mini", response.headers().firstValue("x-keyward-model").orElseThrow());
    double overhead = Double.parseDouble(
        response.headers().firstValue("x-keyward-overhead-ms").orElseThrow());
    assertTrue(overhead >= 0, "overhead " + overhead);
  }

  @Test
  void aModelOutsideTheAllowlistIs403AndNeverReachesTheUpstream() throws Exception {
    HttpResponse<String> response = post("/r/openai/chat/completions", token(),
        chat("gpt-5", false));
    assertEquals(403, response.statusCode());
    assertEquals("model_not_allowed", code(response));
    assertTrue(provider.received().isEmpty());
  }

  @Test
  void aHeartbeatTokenIsSentToTheTierModelWhateverItAskedFor() throws Exception {
    String heartbeat = installation.token("agent-1", "acme", Purpose.HEARTBEAT).token();
    HttpResponse<String> response = post("/r/openai/chat/completions", heartbeat,
        chat("gpt-5-mini", false));
    assertEquals(200, response.statusCode(), response.body());
    assertEquals("gpt-5-nano", lastUpstreamBody().getString("model"));
    assertEquals("gpt-5-nano", response.headers().firstValue("x-keyward-model").orElseThrow());
    assertEquals("gpt-5-nano", usageOf(response).getString("model"));
  }

  @Test
  void aConversationTokenKeepsTheModelItAskedFor() throws Exception {
    String conversation = installation.token("agent-1", "acme", Purpose.CONVERSATION).token();
    post("/r/openai/chat/completions", conversation, chat("gpt-5-mini", false));
    assertEquals("gpt-5-mini", lastUpstreamBody().getString("model"));
  }

  @Test
  void anAliasSendsTheUpstreamsNameAndBothNamesMustBeAllowed() throws Exception {
    HttpResponse<String> response = post("/r/openai/chat/completions", token(),
        chat("mini", false));
    assertEquals(403, response.statusCode(), "'mini' itself is not in the allowlist");
    assertEquals("model_not_allowed", code(response));
  }

  @Test
  void brokenJsonIs400AndTheUpstreamSeesNothing() throws Exception {
    HttpResponse<String> response = post("/r/openai/chat/completions", token(), "{\"model\":");
    assertEquals(400, response.statusCode());
    assertEquals("bad_request", code(response));
    assertTrue(provider.received().isEmpty());
  }

  @Test
  void aBodyOverTheRoutesLimitIs413() throws Exception {
    HttpResponse<String> response = post("/r/openai/chat/completions", token(),
        chat("gpt-5-mini " + "x".repeat(9000), false));
    assertEquals(413, response.statusCode());
    assertTrue(provider.received().isEmpty());
  }

  @Test
  void aStreamGetsUsageReportedWithoutTheAgentAskingAndTheExtraChunkIsRemoved()
      throws Exception {
    HttpResponse<String> response = post("/r/openai/chat/completions", token(),
        chat("gpt-5-mini", true));
    assertEquals(200, response.statusCode(), response.body());
    assertTrue(lastUpstreamBody().getJsonObject("stream_options").getBoolean("include_usage"));
    assertFalse(response.body().contains("\"usage\":{"), "the usage chunk reached the agent");
    assertTrue(response.body().contains("data: [DONE]"), response.body());
    JsonObject usage = usageOf(response);
    assertTrue(usage.getLong("output_tokens") > 0, usage.encode());
    assertFalse(usage.getBoolean("estimated"));
  }

  @Test
  void aStreamWhoseAgentAskedForUsageKeepsIt() throws Exception {
    String body = new JsonObject(chat("gpt-5-mini", true))
        .put("stream_options", new JsonObject().put("include_usage", true)).encode();
    HttpResponse<String> response = post("/r/openai/chat/completions", token(), body);
    assertTrue(response.body().contains("\"usage\":{"), response.body());
  }

  /** A stream cut before the provider reported usage: estimated from what came, never free. */
  @Test
  void aStreamCutBeforeItsUsageIsChargedAnEstimateNeverZero() throws Exception {
    flaky.cutStreamsBeforeUsage(vertx);
    HttpResponse<InputStream> response = agent.sendStreaming(agent
        .request("/r/flaky/chat/completions").header("Authorization", "Bearer " + token())
        .POST(HttpRequest.BodyPublishers.ofString(chat("gpt-5-mini", true))));
    assertThrows(IOException.class, () -> response.body().readAllBytes());
    JsonObject record = audit.forRequest(response.headers().firstValue("x-request-id")
        .orElseThrow());
    JsonObject usage = record.getJsonObject("usage");
    assertTrue(usage.getBoolean("estimated"), usage.encode());
    assertTrue(usage.getLong("output_tokens") > 0, usage.encode());
    assertTrue(new BigDecimal(usage.getValue("cost_usd").toString()).signum() > 0, usage.encode());
  }

  @Test
  void anthropicMessagesStreamedAreMetered() throws Exception {
    String body = new JsonObject().put("model", "claude-haiku-4-5").put("max_tokens", 100)
        .put("stream", true).put("messages", new JsonArray().add(new JsonObject()
            .put("role", "user").put("content", "Say hi"))).encode();
    HttpResponse<String> response = agent.send(agent.request("/r/anthropic/v1/messages")
        .header("x-api-key", token()).header("anthropic-version", "2023-06-01")
        .POST(HttpRequest.BodyPublishers.ofString(body)));
    assertEquals(200, response.statusCode(), response.body());
    JsonObject usage = usageOf(response);
    assertTrue(usage.getLong("input_tokens") > 0 && usage.getLong("output_tokens") > 0,
        usage.encode());
    assertEquals("claude-haiku-4-5", usage.getString("model"));
  }

  @Test
  void anthropicMessagesNotStreamedAreMetered() throws Exception {
    String body = new JsonObject().put("model", "claude-haiku-4-5").put("max_tokens", 100)
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user")
            .put("content", "Say hi"))).encode();
    HttpResponse<String> response = agent.send(agent.request("/r/anthropic/v1/messages")
        .header("x-api-key", token()).header("anthropic-version", "2023-06-01")
        .POST(HttpRequest.BodyPublishers.ofString(body)));
    JsonObject answer = new JsonObject(response.body()).getJsonObject("usage");
    JsonObject usage = usageOf(response);
    assertEquals(answer.getLong("output_tokens"), usage.getLong("output_tokens"));
    assertTrue(usage.getLong("input_tokens") >= answer.getLong("input_tokens"), usage.encode());
  }

  @Test
  void openAiResponsesAreMetered() throws Exception {
    HttpResponse<String> response = post("/r/openai/responses", token(),
        new JsonObject().put("model", "gpt-5-mini").put("input", "Say hi").encode());
    assertEquals(200, response.statusCode(), response.body());
    JsonObject usage = usageOf(response);
    assertEquals(new JsonObject(response.body()).getJsonObject("usage").getLong("output_tokens"),
        usage.getLong("output_tokens"));
  }

  @Test
  void geminiStreamedIsMeteredFromItsLastUsageMetadata() throws Exception {
    String body = new JsonObject().put("contents", new JsonArray().add(new JsonObject()
        .put("parts", new JsonArray().add(new JsonObject().put("text", "Say hi"))))).encode();
    HttpResponse<String> response = post(
        "/r/gemini/models/gemini-2.5-flash:streamGenerateContent?alt=sse", token(), body);
    assertEquals(200, response.statusCode(), response.body());
    assertTrue(response.body().startsWith("data: "), response.body());
    JsonObject usage = usageOf(response);
    assertTrue(usage.getLong("output_tokens") > 0, usage.encode());
    assertEquals("gemini-2.5-flash", usage.getString("model"));
    assertFalse(usage.getBoolean("estimated"));
  }

  @Test
  void geminiTakesTheModelFromThePathAndATierRewritesIt() throws Exception {
    String body = new JsonObject().put("contents", new JsonArray().add(new JsonObject()
        .put("parts", new JsonArray().add(new JsonObject().put("text", "Say hi"))))).encode();
    String heartbeat = installation.token("agent-1", "acme", Purpose.HEARTBEAT).token();
    HttpResponse<String> response = post("/r/gemini/models/gemini-2.5-flash:generateContent",
        heartbeat, body);
    assertEquals(200, response.statusCode(), response.body());
    List<FakeProvider.Received> received = provider.received();
    assertTrue(received.get(received.size() - 1).uri()
        .startsWith("/v1beta/models/gemini-2.5-flash-lite:generateContent"),
        received.get(received.size() - 1).uri());
    assertEquals("gemini-2.5-flash-lite", usageOf(response).getString("model"));
  }

  @Test
  void anUnpricedModelIsMeteredInTokensAndCostedUnpriced() throws Exception {
    HttpResponse<String> response = post("/r/openai/chat/completions", token(),
        chat("mystery-model", false));
    JsonObject usage = usageOf(response);
    assertTrue(usage.getLong("output_tokens") > 0);
    assertNull(usage.getValue("cost_usd"));
    assertFalse(usage.getBoolean("priced"));
    String metrics = new Agent(keyward.adminPort()).get("/metrics", null).body();
    assertTrue(metrics.contains("keyward_llm_calls_total{credential=\"fake\",model=\"unpriced\""),
        "the unpriced call is not counted");
    assertFalse(metrics.contains("mystery-model"), "an unpriced model name became a label");
  }

  @Test
  void costIsCountedPerTenantCredentialAndModelButNotPerAgent() throws Exception {
    post("/r/openai/chat/completions", token(), chat("gpt-5-mini", false));
    String metrics = new Agent(keyward.adminPort()).get("/metrics", null).body();
    assertTrue(metrics.contains(
        "keyward_llm_cost_usd_total{credential=\"fake\",model=\"gpt-5-mini\",tenant=\"acme\"}"),
        metrics);
    assertFalse(metrics.contains("agent-1"), "an agent id became a label");
  }

  @Test
  void aModelAllowlistCannotBeSkirtedThroughAnEndpointItCannotRead() throws Exception {
    HttpResponse<String> write = post("/r/openai/fine_tuning/jobs", token(),
        "{\"model\":\"gpt-5\"}");
    assertEquals(403, write.statusCode());
    assertEquals("model_not_allowed", code(write));
    assertEquals(200, agent.get("/r/openai/models", token()).statusCode(), "reads still pass");
  }

  @Test
  void aModelAllowlistCannotBeSkirtedThroughAnExplicitTarget() throws Exception {
    HttpResponse<String> response = agent.send(agent.request("/t/127.0.0.1:" + provider.port()
        + "/v1/chat/completions").header("Authorization", "Bearer " + token())
        .header("Keyward-Credential", "fake")
        .POST(HttpRequest.BodyPublishers.ofString(chat("gpt-5", false))));
    assertEquals(403, response.statusCode(), response.body());
    assertEquals("model_not_allowed", code(response));
    assertTrue(provider.received().isEmpty());
  }
}
