package dev.keyward.proxy.dev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.testing.RawHttp;
import dev.keyward.proxy.testing.Secrets;
import dev.keyward.vault.Secret;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The fake provider called directly over HTTP, as a provider's own client would. */
class FakeProviderTest {

  static final String KEY = Secrets.register("sk-fake-provider-test-7c1d2e3f4a5b6c7d8e9f");
  static final String WRONG_KEY = Secrets.register("sk-wrong-key-for-fake-3a4b5c6d7e8f9a0b");

  static Vertx vertx;
  static FakeProvider fake;
  static final HttpClient client = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(10)).version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    fake = FakeProvider.startAndWait(vertx,
        Secret.copyOf(KEY.getBytes(StandardCharsets.US_ASCII)));
  }

  @AfterAll
  static void stop() throws Exception {
    fake.close();
    vertx.close().toCompletionStage().toCompletableFuture().get();
  }

  @BeforeEach
  void forget() {
    fake.forgetReceived();
  }

  static HttpResponse<String> post(String path, String header, String value, String body)
      throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(fake.baseUrl() + path))
        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (header != null) {
      request.header(header, value);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> openAi(String path, String body) throws Exception {
    return post(path, "Authorization", "Bearer " + KEY, body);
  }

  static JsonObject json(HttpResponse<String> response) {
    return new JsonObject(response.body());
  }

  /** The {@code data:} of each event, with the event's name in front when it has one. */
  static List<String> events(String body) {
    List<String> events = new ArrayList<>();
    for (String event : body.split("\n\n")) {
      String name = null;
      String data = null;
      for (String line : event.split("\n")) {
        if (line.startsWith("event: ")) {
          name = line.substring(7);
        } else if (line.startsWith("data: ")) {
          data = line.substring(6);
        }
      }
      if (data != null) {
        events.add(name == null ? data : name + " " + data);
      }
    }
    return events;
  }

  static String chat(String content, String extra) {
    return "{\"model\":\"gpt-4o-mini\",\"messages\":["
        + "{\"role\":\"system\",\"content\":\"Be brief.\"},"
        + "{\"role\":\"user\",\"content\":" + new JsonArray().add(content).encode()
        .replaceAll("^\\[|\\]$", "") + "}]" + extra + "}";
  }

  @Test
  void chatCompletionEchoesTheLastUserMessageWithTheModelAndUsage() throws Exception {
    HttpResponse<String> response = openAi("/v1/chat/completions", chat("Say hi", ""));
    assertEquals(200, response.statusCode(), response.body());
    JsonObject body = json(response);
    assertTrue(body.getString("id").startsWith("chatcmpl-"));
    assertEquals("chat.completion", body.getString("object"));
    assertEquals("gpt-4o-mini", body.getString("model"));
    JsonObject choice = body.getJsonArray("choices").getJsonObject(0);
    assertEquals("You said: Say hi", choice.getJsonObject("message").getString("content"));
    assertEquals("stop", choice.getString("finish_reason"));
    JsonObject usage = body.getJsonObject("usage");
    assertTrue(usage.getInteger("prompt_tokens") > 0);
    assertEquals(FakeCompletion.tokens("You said: Say hi"), usage.getInteger("completion_tokens"));
    assertEquals(usage.getInteger("prompt_tokens") + usage.getInteger("completion_tokens"),
        usage.getInteger("total_tokens"));
    assertEquals(0, usage.getJsonObject("prompt_tokens_details").getInteger("cached_tokens"));
    assertEquals(0,
        usage.getJsonObject("completion_tokens_details").getInteger("reasoning_tokens"));
  }

  @Test
  void promptTokensGrowWithTheTextAndLongPromptsAreReportedAsCached() throws Exception {
    JsonObject small = json(openAi("/v1/chat/completions", chat("short", "")))
        .getJsonObject("usage");
    JsonObject large = json(openAi("/v1/chat/completions", chat("word ".repeat(2000), "")))
        .getJsonObject("usage");
    int prompt = large.getInteger("prompt_tokens");
    assertTrue(prompt > 2000 && prompt < 3000, "about four characters a token: " + prompt);
    assertTrue(small.getInteger("prompt_tokens") < 30);
    int cached = large.getJsonObject("prompt_tokens_details").getInteger("cached_tokens");
    assertTrue(cached >= 1024 && cached < prompt && cached % 128 == 0, "cached " + cached);
  }

  @Test
  void reasoningModelsReportReasoningTokensInsideCompletionTokens() throws Exception {
    JsonObject usage = json(openAi("/v1/chat/completions",
        chat("Think", "").replace("gpt-4o-mini", "o4-mini"))).getJsonObject("usage");
    int reasoning = usage.getJsonObject("completion_tokens_details").getInteger("reasoning_tokens");
    assertTrue(reasoning > 0);
    assertEquals(reasoning + FakeCompletion.tokens("You said: Think"),
        usage.getInteger("completion_tokens"));
  }

  @Test
  void anOutputCapCutsTheReplyWithFinishReasonLength() throws Exception {
    JsonObject body = json(openAi("/v1/chat/completions",
        chat("a long message to echo back", ",\"max_tokens\":2")));
    JsonObject choice = body.getJsonArray("choices").getJsonObject(0);
    assertEquals("length", choice.getString("finish_reason"));
    assertEquals("You said", choice.getJsonObject("message").getString("content"));
    assertEquals(2, body.getJsonObject("usage").getInteger("completion_tokens"));
  }

  @Test
  void aStreamedChatCompletionSendsChunksThenAUsageOnlyChunkThenDone() throws Exception {
    HttpResponse<String> response = openAi("/v1/chat/completions",
        chat("Say hi to me", ",\"stream\":true,\"stream_options\":{\"include_usage\":true}"));
    assertEquals(200, response.statusCode());
    assertTrue(response.headers().firstValue("content-type").orElseThrow()
        .startsWith("text/event-stream"));
    List<String> events = events(response.body());
    assertEquals("[DONE]", events.get(events.size() - 1));
    StringBuilder text = new StringBuilder();
    List<JsonObject> chunks = events.subList(0, events.size() - 1).stream()
        .map(JsonObject::new).toList();
    for (JsonObject chunk : chunks.subList(0, chunks.size() - 1)) {
      assertEquals("chat.completion.chunk", chunk.getString("object"));
      assertTrue(chunk.containsKey("usage") && chunk.getValue("usage") == null);
      text.append(chunk.getJsonArray("choices").getJsonObject(0).getJsonObject("delta")
          .getString("content", ""));
    }
    assertEquals("You said: Say hi to me", text.toString());
    assertEquals("stop", chunks.get(chunks.size() - 2).getJsonArray("choices").getJsonObject(0)
        .getString("finish_reason"));
    JsonObject last = chunks.get(chunks.size() - 1);
    assertEquals(new JsonArray(), last.getJsonArray("choices"));
    assertEquals(FakeCompletion.tokens("You said: Say hi to me"),
        last.getJsonObject("usage").getInteger("completion_tokens"));
    assertEquals(1, chunks.stream().map(c -> c.getString("id")).distinct().count());
  }

  @Test
  void aStreamWithoutIncludeUsageHasNoUsageAtAll() throws Exception {
    String body = openAi("/v1/chat/completions", chat("hi", ",\"stream\":true")).body();
    assertFalse(body.contains("usage"), body);
    assertTrue(body.endsWith("data: [DONE]\n\n"));
  }

  @Test
  void theResponsesApiAnswersWithOutputTextAndUsage() throws Exception {
    JsonObject body = json(openAi("/v1/responses",
        "{\"model\":\"gpt-5-mini\",\"instructions\":\"Be brief.\",\"input\":\"Say hi\"}"));
    assertTrue(body.getString("id").startsWith("resp_"));
    assertEquals("completed", body.getString("status"));
    assertEquals("You said: Say hi", body.getJsonArray("output").getJsonObject(0)
        .getJsonArray("content").getJsonObject(0).getString("text"));
    JsonObject usage = body.getJsonObject("usage");
    assertTrue(usage.getInteger("input_tokens") > 0);
    assertTrue(usage.getJsonObject("output_tokens_details").getInteger("reasoning_tokens") > 0);
  }

  @Test
  void aStreamedResponseEndsWithResponseCompletedCarryingUsage() throws Exception {
    List<String> events = events(openAi("/v1/responses",
        "{\"model\":\"gpt-4o-mini\",\"input\":[{\"role\":\"user\",\"content\":\"Hi there\"}],"
            + "\"stream\":true}").body());
    assertTrue(events.get(0).startsWith("response.created "));
    String last = events.get(events.size() - 1);
    assertTrue(last.startsWith("response.completed "), last);
    JsonObject done = new JsonObject(last.substring(last.indexOf(' ') + 1));
    assertTrue(done.getJsonObject("response").getJsonObject("usage")
        .getInteger("output_tokens") > 0);
  }

  @Test
  void embeddingsAreDeterministicUnitVectorsAsFloatsOrBase64() throws Exception {
    JsonObject body = json(openAi("/v1/embeddings",
        "{\"model\":\"text-embedding-3-small\",\"input\":[\"a\",\"b\",\"a\"],\"dimensions\":8}"));
    JsonArray data = body.getJsonArray("data");
    assertEquals(3, data.size());
    JsonArray first = data.getJsonObject(0).getJsonArray("embedding");
    assertEquals(8, first.size());
    assertEquals(first, data.getJsonObject(2).getJsonArray("embedding"));
    assertNotEquals(first, data.getJsonObject(1).getJsonArray("embedding"));
    double norm = 0;
    for (Object value : first) {
      norm += ((Number) value).doubleValue() * ((Number) value).doubleValue();
    }
    assertEquals(1.0, norm, 1e-4);
    assertEquals(3, body.getJsonObject("usage").getInteger("prompt_tokens"));

    JsonObject encoded = json(openAi("/v1/embeddings", "{\"model\":\"text-embedding-3-small\","
        + "\"input\":\"a\",\"dimensions\":8,\"encoding_format\":\"base64\"}"));
    ByteBuffer floats = ByteBuffer.wrap(Base64.getDecoder().decode(encoded.getJsonArray("data")
        .getJsonObject(0).getString("embedding"))).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(first.getFloat(0), floats.getFloat(0));
  }

  @Test
  void modelsAreListed() throws Exception {
    HttpResponse<String> response = client.send(HttpRequest.newBuilder(
            URI.create(fake.baseUrl() + "/v1/models")).header("Authorization", "Bearer " + KEY)
        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    JsonObject body = json(response);
    assertEquals("list", body.getString("object"));
    assertEquals("gpt-4o-mini", body.getJsonArray("data").getJsonObject(0).getString("id"));
  }

  static final String MESSAGES = "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":100,"
      + "\"system\":\"Be brief.\",\"messages\":[{\"role\":\"user\","
      + "\"content\":[{\"type\":\"text\",\"text\":\"Hello Claude\"}]}]";

  @Test
  void anthropicMessagesAnswerWithContentAndUsage() throws Exception {
    HttpResponse<String> response = post("/v1/messages", "x-api-key", KEY, MESSAGES + "}");
    assertEquals(200, response.statusCode(), response.body());
    JsonObject body = json(response);
    assertTrue(body.getString("id").startsWith("msg_"));
    assertEquals("message", body.getString("type"));
    assertEquals("claude-haiku-4-5", body.getString("model"));
    assertEquals("You said: Hello Claude",
        body.getJsonArray("content").getJsonObject(0).getString("text"));
    assertEquals("end_turn", body.getString("stop_reason"));
    assertTrue(body.getJsonObject("usage").getInteger("input_tokens") > 0);
    assertEquals(FakeCompletion.tokens("You said: Hello Claude"),
        body.getJsonObject("usage").getInteger("output_tokens"));
  }

  @Test
  void aStreamedAnthropicMessageFollowsTheEventSequenceWithCumulativeUsage() throws Exception {
    List<String> events = events(post("/v1/messages", "x-api-key", KEY,
        MESSAGES + ",\"stream\":true}").body());
    List<String> names = events.stream().map(e -> e.substring(0, e.indexOf(' '))).distinct()
        .toList();
    assertEquals(List.of("message_start", "content_block_start", "ping", "content_block_delta",
        "content_block_stop", "message_delta", "message_stop"), names);
    JsonObject start = new JsonObject(events.get(0).substring("message_start ".length()));
    assertTrue(start.getJsonObject("message").getJsonObject("usage")
        .getInteger("input_tokens") > 0);
    StringBuilder text = new StringBuilder();
    events.stream().filter(e -> e.startsWith("content_block_delta ")).forEach(e -> text.append(
        new JsonObject(e.substring(e.indexOf(' ') + 1)).getJsonObject("delta").getString("text")));
    assertEquals("You said: Hello Claude", text.toString());
    String delta = events.get(events.size() - 2);
    assertEquals(FakeCompletion.tokens("You said: Hello Claude"),
        new JsonObject(delta.substring(delta.indexOf(' ') + 1)).getJsonObject("usage")
            .getInteger("output_tokens"));
  }

  @Test
  void anthropicRequiresMaxTokensAsTheRealApiDoes() throws Exception {
    HttpResponse<String> response = post("/v1/messages", "x-api-key", KEY,
        "{\"model\":\"claude-haiku-4-5\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    assertEquals(400, response.statusCode());
    assertEquals("invalid_request_error",
        json(response).getJsonObject("error").getString("type"));
  }

  static final String GEMINI =
      "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Hi Gemini\"}]}]}";

  @Test
  void geminiGenerateContentAnswersWithCandidatesAndUsageMetadata() throws Exception {
    JsonObject body = json(post("/v1beta/models/gemini-2.5-flash:generateContent",
        "x-goog-api-key", KEY, GEMINI));
    JsonObject candidate = body.getJsonArray("candidates").getJsonObject(0);
    assertEquals("You said: Hi Gemini", candidate.getJsonObject("content").getJsonArray("parts")
        .getJsonObject(0).getString("text"));
    assertEquals("STOP", candidate.getString("finishReason"));
    assertEquals("gemini-2.5-flash", body.getString("modelVersion"));
    JsonObject usage = body.getJsonObject("usageMetadata");
    assertEquals(usage.getInteger("promptTokenCount") + usage.getInteger("candidatesTokenCount"),
        usage.getInteger("totalTokenCount"));
  }

  @Test
  void geminiStreamsServerSentEventsWithUsageInTheLastChunk() throws Exception {
    List<String> events = events(post(
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&key=" + KEY, null, null,
        GEMINI).body());
    assertTrue(events.size() > 1);
    JsonObject last = new JsonObject(events.get(events.size() - 1));
    assertEquals("STOP",
        last.getJsonArray("candidates").getJsonObject(0).getString("finishReason"));
    assertEquals(FakeCompletion.tokens("You said: Hi Gemini"),
        last.getJsonObject("usageMetadata").getInteger("candidatesTokenCount"));
  }

  @Test
  void aWrongKeyGets401QuotingThePresentedKeyInTheProvidersShape() throws Exception {
    HttpResponse<String> openAi = post("/v1/chat/completions", "Authorization",
        "Bearer " + WRONG_KEY, chat("hi", ""));
    assertEquals(401, openAi.statusCode());
    JsonObject error = json(openAi).getJsonObject("error");
    assertEquals("invalid_api_key", error.getString("code"));
    assertTrue(error.getString("message").startsWith("Incorrect API key provided: " + WRONG_KEY));

    HttpResponse<String> anthropic = post("/v1/messages", "x-api-key", WRONG_KEY, MESSAGES + "}");
    assertEquals(401, anthropic.statusCode());
    assertEquals("authentication_error",
        json(anthropic).getJsonObject("error").getString("type"));
    assertTrue(anthropic.body().contains(WRONG_KEY));

    HttpResponse<String> gemini = post("/v1beta/models/gemini-2.5-flash:generateContent",
        "x-goog-api-key", WRONG_KEY, GEMINI);
    assertEquals(401, gemini.statusCode());
    assertEquals("UNAUTHENTICATED", json(gemini).getJsonObject("error").getString("status"));
    assertTrue(gemini.body().contains(WRONG_KEY));
  }

  @Test
  void noKeyAtAllGets401() throws Exception {
    HttpResponse<String> response = post("/v1/chat/completions", null, null, chat("hi", ""));
    assertEquals(401, response.statusCode());
    assertNull(json(response).getJsonObject("error").getValue("code"));
  }

  @Test
  void aBrokenBodyGets400AndAnUnknownPath404() throws Exception {
    assertEquals(400, openAi("/v1/chat/completions", "{\"model\":").statusCode());
    assertEquals(400, openAi("/v1/chat/completions", "[1,2]").statusCode());
    assertEquals(404, openAi("/v1/nothing-here", "{}").statusCode());
  }

  @Test
  void aBodyDeclaredOverTheLimitGets413AndIsNotKept() throws Exception {
    try (RawHttp raw = new RawHttp(fake.port())) {
      String response = raw.write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
          + "Authorization: Bearer " + KEY + "\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + (FakeProvider.MAX_REQUEST_BODY + 1) + "\r\n\r\n{").readAll();
      assertTrue(response.startsWith("HTTP/1.1 413"), response);
    }
    assertTrue(fake.received().isEmpty(), "a refused body is not kept");
  }

  @Test
  void onlyTheLastRequestsAreKeptWithoutPrintingTheirHeaders() throws Exception {
    for (int i = 0; i < FakeProvider.RECENT_REQUESTS + 3; i++) {
      openAi("/v1/chat/completions", chat("message " + i, ""));
    }
    List<FakeProvider.Received> received = fake.received();
    assertEquals(FakeProvider.RECENT_REQUESTS, received.size());
    assertTrue(received.get(received.size() - 1).body().contains("message "
        + (FakeProvider.RECENT_REQUESTS + 2)));
    assertEquals("Bearer " + KEY, received.get(0).headers().get("Authorization"));
    assertFalse(received.get(0).toString().contains(KEY));
  }
}
