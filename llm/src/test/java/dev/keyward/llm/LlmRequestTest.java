package dev.keyward.llm;

import static dev.keyward.llm.Fixtures.bytes;
import static dev.keyward.llm.Fixtures.utf8;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class LlmRequestTest {

  private static final String CHAT = "/v1/chat/completions";
  private static final String GEMINI =
      "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse";

  private static LlmRequest chat(String json) throws LlmFormatException {
    return LlmRequest.parse(Endpoint.CHAT_COMPLETIONS, CHAT, utf8(json));
  }

  private static String errorOf(Endpoint endpoint, String json) {
    return assertThrows(LlmFormatException.class,
        () -> LlmRequest.parse(endpoint, "/x", utf8(json))).getMessage();
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  @Test
  void readsModelStreamAndCapOfAChatCompletion() throws Exception {
    LlmRequest request = LlmRequest.parse(Endpoint.CHAT_COMPLETIONS, CHAT,
        bytes("requests/openai-chat-stream.json"));
    assertEquals("gpt-5-mini", request.model());
    assertTrue(request.streamed());
    assertFalse(request.usageRequested());
    assertEquals(OptionalLong.of(1024), request.maxOutputTokens());
    assertEquals(Api.OPENAI, request.api());
  }

  @Test
  void largerOfMaxTokensAndMaxCompletionTokensIsTheCap() throws Exception {
    LlmRequest request = chat("{\"model\":\"m\",\"max_tokens\":900,\"max_completion_tokens\":50}");
    assertEquals(OptionalLong.of(900), request.maxOutputTokens());
  }

  @Test
  void capCoversEveryChoiceRequested() throws Exception {
    assertEquals(OptionalLong.of(300), chat("{\"model\":\"m\",\"max_tokens\":100,\"n\":3}")
        .maxOutputTokens());
    LlmRequest completion = LlmRequest.parse(Endpoint.COMPLETIONS, "/completions",
        utf8("{\"model\":\"m\",\"prompt\":\"hi\",\"max_tokens\":10,\"n\":2,\"best_of\":5}"));
    assertEquals(OptionalLong.of(50), completion.maxOutputTokens());
  }

  @Test
  void requestWithoutCapHasNone() throws Exception {
    assertEquals(OptionalLong.empty(), chat("{\"model\":\"m\",\"max_tokens\":null}")
        .maxOutputTokens());
  }

  @Test
  void responsesCapIsMaxOutputTokens() throws Exception {
    LlmRequest request = LlmRequest.parse(Endpoint.RESPONSES, "/responses",
        utf8("{\"model\":\"gpt-5\",\"input\":\"hi\",\"max_output_tokens\":64,\"max_tokens\":9}"));
    assertEquals(OptionalLong.of(64), request.maxOutputTokens());
  }

  @Test
  void embeddingsProduceNoOutput() throws Exception {
    LlmRequest request = LlmRequest.parse(Endpoint.EMBEDDINGS, "/embeddings",
        utf8("{\"model\":\"text-embedding-3-small\",\"input\":[\"a\",\"b\"]}"));
    assertEquals(OptionalLong.of(0), request.maxOutputTokens());
  }

  @Test
  void anthropicMessageReadsMaxTokensAndStream() throws Exception {
    LlmRequest request = LlmRequest.parse(Endpoint.MESSAGES, "/v1/messages",
        bytes("requests/anthropic-messages.json"));
    assertEquals("claude-haiku-4-5", request.model());
    assertTrue(request.streamed());
    assertEquals(OptionalLong.of(2048), request.maxOutputTokens());
  }

  @Test
  void geminiModelComesFromThePathAndStreamFromTheMethod() throws Exception {
    LlmRequest request = LlmRequest.parse(Endpoint.STREAM_GENERATE_CONTENT, GEMINI,
        bytes("requests/gemini-generate.json"));
    assertEquals("gemini-2.5-flash", request.model());
    assertTrue(request.streamed());
    assertEquals(OptionalLong.of(1024), request.maxOutputTokens());
  }

  @Test
  void geminiCapSpelledInSnakeCaseCounts() throws Exception {
    LlmRequest request = LlmRequest.parse(Endpoint.GENERATE_CONTENT,
        "/v1beta/models/gemini-2.5-flash:generateContent",
        utf8("{\"contents\":[],\"generation_config\":{\"max_output_tokens\":77}}"));
    assertFalse(request.streamed());
    assertEquals(OptionalLong.of(77), request.maxOutputTokens());
  }

  @Test
  void agentAskingForStreamUsageIsSeen() throws Exception {
    assertTrue(chat("{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}")
        .usageRequested());
  }

  @Test
  void brokenJsonIsAShortErrorQuotingAtMostSixteenSanitizedBytes() {
    String secretish = "sk-" + "x".repeat(200);
    String message = errorOf(Endpoint.CHAT_COMPLETIONS,
        "{\"model\":\"m\",\n\"messages\": [\u0001 " + secretish + "]}");
    assertTrue(message.startsWith("the request body is not valid JSON at line 2"), message);
    assertFalse(message.contains("\u0001"), message);
    assertFalse(message.contains("x".repeat(17)), message);
    assertTrue(message.length() < 120, message);
  }

  @Test
  void emptyBodyIsRefused() {
    assertTrue(errorOf(Endpoint.CHAT_COMPLETIONS, "").contains("empty"));
  }

  @Test
  void bodyThatIsNotAnObjectIsRefused() {
    assertEquals("the request body must be a JSON object, not an array",
        errorOf(Endpoint.CHAT_COMPLETIONS, "[{\"model\":\"m\"}]"));
  }

  @Test
  void modelThatIsNotAStringIsRefused() {
    assertEquals("\"model\" must be a string, not a number",
        errorOf(Endpoint.CHAT_COMPLETIONS, "{\"model\":4}"));
  }

  @Test
  void absentModelIsRefusedNamingTheEndpoint() {
    assertEquals("the request has no \"model\"; a messages request must name one",
        errorOf(Endpoint.MESSAGES, "{\"max_tokens\":10,\"messages\":[]}"));
  }

  @Test
  void modelWithAControlCharacterIsRefused() {
    assertTrue(errorOf(Endpoint.CHAT_COMPLETIONS, "{\"model\":\"gpt-5\\r\\nX-Evil: 1\"}")
        .contains("visible ASCII"));
  }

  @Test
  void duplicateModelKeyIsRefusedSoTheUpstreamCannotReadTheOtherOne() {
    String message = errorOf(Endpoint.CHAT_COMPLETIONS,
        "{\"model\":\"cheap\",\"messages\":[],\"model\":\"expensive\"}");
    assertTrue(message.contains("duplicate key"), message);
  }

  @Test
  void trailingDataAfterTheObjectIsRefused() {
    assertTrue(errorOf(Endpoint.CHAT_COMPLETIONS, "{\"model\":\"a\"} {\"model\":\"b\"}")
        .contains("not valid JSON"));
  }

  @Test
  void capThatIsNotAWholeNumberIsRefused() {
    assertEquals("\"max_tokens\" must be a whole number of 0 or more",
        errorOf(Endpoint.CHAT_COMPLETIONS, "{\"model\":\"m\",\"max_tokens\":\"100\"}"));
    assertEquals("\"max_tokens\" must be a whole number of 0 or more",
        errorOf(Endpoint.CHAT_COMPLETIONS, "{\"model\":\"m\",\"max_tokens\":-1}"));
    assertEquals("\"max_tokens\" must be a whole number of 0 or more",
        errorOf(Endpoint.MESSAGES, "{\"model\":\"m\",\"max_tokens\":1.5}"));
  }

  @Test
  void streamThatIsNotABooleanIsRefused() {
    assertEquals("\"stream\" must be true or false, not a string",
        errorOf(Endpoint.CHAT_COMPLETIONS, "{\"model\":\"m\",\"stream\":\"yes\"}"));
  }

  @Test
  void geminiPathWithoutModelIsRefused() {
    assertThrows(LlmFormatException.class, () -> LlmRequest.parse(Endpoint.GENERATE_CONTENT,
        "/v1beta/models/:generateContent", utf8("{}")));
  }

  @Test
  void otherEndpointsAreNotParsed() {
    assertThrows(IllegalArgumentException.class,
        () -> LlmRequest.parse(Endpoint.OTHER, "/models", utf8("{}")));
  }

  @Test
  void rewriteWithoutChangesReturnsTheAgentsBytes() throws Exception {
    byte[] body = utf8("{\"model\":\"m\",\"stream\":true}");
    LlmRequest request = LlmRequest.parse(Endpoint.CHAT_COMPLETIONS, CHAT, body);
    RewrittenRequest sent = request.rewrite("m", false);
    assertSame(body, sent.body());
    assertFalse(sent.bodyChanged());
    assertFalse(sent.stripUsageChunk());
    assertEquals(CHAT, sent.path());
  }

  @Test
  void rewriteReplacesTheModelAndKeepsEveryOtherFieldInOrder() throws Exception {
    byte[] body = bytes("requests/openai-chat-stream.json");
    RewrittenRequest sent =
        LlmRequest.parse(Endpoint.CHAT_COMPLETIONS, CHAT, body).rewrite("gpt-5-nano", false);
    assertTrue(sent.bodyChanged());
    assertEquals("gpt-5-nano", sent.model());
    JsonNode before = Json.STRICT.readTree(body);
    ObjectNode after = (ObjectNode) Json.STRICT.readTree(sent.body());
    assertEquals(fieldNames(before), fieldNames(after));
    assertEquals("gpt-5-nano", after.get("model").textValue());
    after.put("model", "gpt-5-mini");
    assertEquals(before, after);
  }

  @Test
  void rewriteKeepsNumbersAsWritten() throws Exception {
    RewrittenRequest sent = LlmRequest.parse(Endpoint.CHAT_COMPLETIONS, CHAT,
        bytes("requests/openai-chat-stream.json")).rewrite("gpt-5-nano", false);
    String json = new String(sent.body(), UTF_8);
    assertTrue(json.contains("\"temperature\":0.70"), json);
    assertTrue(json.contains("\"top_p\":1.0"), json);
    assertTrue(json.contains("\"seed\":12345678901234567890"), json);
  }

  @Test
  void rewriteForcesStreamUsageTheAgentDidNotAskFor() throws Exception {
    RewrittenRequest sent = chat("{\"model\":\"m\",\"stream\":true}").rewrite(null, true);
    assertTrue(sent.stripUsageChunk());
    assertEquals("{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}",
        new String(sent.body(), UTF_8));
  }

  @Test
  void forcedUsageJoinsTheAgentsOtherStreamOptions() throws Exception {
    RewrittenRequest sent = chat("{\"model\":\"m\",\"stream\":true,\"stream_options\":"
        + "{\"include_obfuscation\":false,\"include_usage\":false},\"n\":1}").rewrite(null, true);
    assertEquals("{\"model\":\"m\",\"stream\":true,\"stream_options\":"
        + "{\"include_obfuscation\":false,\"include_usage\":true},\"n\":1}",
        new String(sent.body(), UTF_8));
  }

  @Test
  void forcedUsageReplacesNullStreamOptions() throws Exception {
    RewrittenRequest sent =
        chat("{\"stream_options\":null,\"model\":\"m\",\"stream\":true}").rewrite("n", true);
    assertEquals("{\"stream_options\":{\"include_usage\":true},\"model\":\"n\",\"stream\":true}",
        new String(sent.body(), UTF_8));
  }

  @Test
  void usageTheAgentAskedForIsNeitherForcedNorStripped() throws Exception {
    byte[] body =
        utf8("{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
    RewrittenRequest sent =
        LlmRequest.parse(Endpoint.CHAT_COMPLETIONS, CHAT, body).rewrite(null, true);
    assertSame(body, sent.body());
    assertFalse(sent.stripUsageChunk());
  }

  @Test
  void usageIsNotForcedWhereTheApiAlwaysReportsIt() throws Exception {
    assertFalse(chat("{\"model\":\"m\"}").rewrite(null, true).stripUsageChunk());
    assertFalse(LlmRequest.parse(Endpoint.RESPONSES, "/responses",
        utf8("{\"model\":\"m\",\"stream\":true}")).rewrite(null, true).stripUsageChunk());
    assertFalse(LlmRequest.parse(Endpoint.MESSAGES, "/v1/messages",
        bytes("requests/anthropic-messages.json")).rewrite(null, true).bodyChanged());
  }

  @Test
  void geminiRewriteChangesOnlyThePathModel() throws Exception {
    byte[] body = bytes("requests/gemini-generate.json");
    RewrittenRequest sent = LlmRequest.parse(Endpoint.STREAM_GENERATE_CONTENT, GEMINI, body)
        .rewrite("gemini-2.5-flash-lite", true);
    assertEquals("/v1beta/models/gemini-2.5-flash-lite:streamGenerateContent?alt=sse",
        sent.path());
    assertTrue(sent.pathChanged());
    assertSame(body, sent.body());
    assertFalse(sent.stripUsageChunk());
  }

  @Test
  void geminiRewriteRefusesAModelThatWouldChangeThePath() throws Exception {
    LlmRequest request = LlmRequest.parse(Endpoint.STREAM_GENERATE_CONTENT, GEMINI, utf8("{}"));
    assertThrows(IllegalArgumentException.class,
        () -> request.rewrite("../files/x:generateContent?", false));
  }

  @Test
  void rewriteRefusesAnUnusableModelName() throws Exception {
    LlmRequest request = chat("{\"model\":\"m\"}");
    assertThrows(IllegalArgumentException.class, () -> request.rewrite("a b", false));
    assertThrows(IllegalArgumentException.class, () -> request.rewrite("", false));
  }

  @Test
  void inputEstimateCountsTextButNotInlineImages() throws Exception {
    LlmRequest withImage = LlmRequest.parse(Endpoint.MESSAGES, "/v1/messages",
        bytes("requests/anthropic-messages.json"));
    String withoutImageJson = new String(bytes("requests/anthropic-messages.json"), UTF_8)
        .replaceAll("\"data\": \"[^\"]*\"", "\"data\": \"\"");
    LlmRequest withoutImage =
        LlmRequest.parse(Endpoint.MESSAGES, "/v1/messages", utf8(withoutImageJson));
    assertEquals(withoutImage.inputTokenEstimate(), withImage.inputTokenEstimate());
  }

  @Test
  void inputEstimateIsTextBytesOverFourRoundedUp() throws Exception {
    // "model" + "m" + "messages" + "content" + "héllo" + "n": 5 + 1 + 8 + 7 + 6 + 1 = 28 bytes.
    LlmRequest request = chat("{\"model\":\"m\",\"messages\":[{\"content\":\"héllo\"}],\"n\":1}");
    assertEquals(7, request.inputTokenEstimate());
    assertNotEquals(0, chat("{\"model\":\"m\"}").inputTokenEstimate());
  }
}
