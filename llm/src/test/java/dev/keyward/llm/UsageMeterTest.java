package dev.keyward.llm;

import static dev.keyward.llm.Fixtures.bytes;
import static dev.keyward.llm.Fixtures.utf8;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class UsageMeterTest {

  private static final String SSE = "text/event-stream; charset=utf-8";
  private static final String JSON = "application/json";

  private static final Usage OPENAI_CHAT =
      new Usage(1250, 212, 1024, 192, false, "gpt-5-mini-2025-08-07");
  private static final Usage OPENAI_RESPONSES =
      new Usage(2048, 96, 1536, 64, false, "gpt-5-2025-08-07");
  private static final Usage ANTHROPIC_STREAM =
      new Usage(472 + 1800 + 12000, 15, 12000, 0, false, "claude-haiku-4-5-20251001");
  private static final Usage GEMINI =
      new Usage(2310, 21 + 118, 2048, 118, false, "gemini-2.5-flash");

  private static LlmRequest chatRequest(boolean stream) throws LlmFormatException {
    return LlmRequest.parse(Endpoint.CHAT_COMPLETIONS, "/chat/completions",
        utf8("{\"model\":\"gpt-5-mini\",\"stream\":" + stream + ",\"messages\":"
            + "[{\"role\":\"user\",\"content\":\"What is the capital of France?\"}]}"));
  }

  private static LlmRequest request(Endpoint endpoint, String path) throws LlmFormatException {
    return LlmRequest.parse(endpoint, path, utf8("{\"model\":\"m\",\"stream\":true,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"Say hello to the proxy.\"}]}"));
  }

  private static LlmRequest geminiRequest() throws LlmFormatException {
    return LlmRequest.parse(Endpoint.STREAM_GENERATE_CONTENT,
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
        bytes("requests/gemini-generate.json"));
  }

  /** What the agent receives and what was metered, for one way of chunking the body. */
  private record Run(byte[] forwarded, Usage usage) {}

  private static Run run(UsageMeter meter, byte[] body, boolean cut, int... splits) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int from = 0;
    for (int split : splits) {
      out.writeBytes(meter.feed(Arrays.copyOfRange(body, from, split)));
      from = split;
    }
    out.writeBytes(meter.feed(Arrays.copyOfRange(body, from, body.length)));
    if (!cut) {
      out.writeBytes(meter.flush());
    }
    return new Run(out.toByteArray(), meter.finish(cut));
  }

  private static byte[] withoutEvent(byte[] stream, String marker) {
    String text = new String(stream, UTF_8);
    int at = text.indexOf(marker);
    int start = text.lastIndexOf("\n\n", at) + 2;
    int end = text.indexOf("\n\n", at) + 2;
    return utf8(text.substring(0, start) + text.substring(end));
  }

  private static int indexOf(byte[] stream, String marker) {
    return new String(stream, UTF_8).indexOf(marker);
  }

  @Test
  void openAiStreamUsageComesFromTheFinalChunkAtEverySplit() throws Exception {
    byte[] stream = bytes("responses/openai-chat-stream.sse");
    for (int split = 0; split <= stream.length; split++) {
      Run run = run(UsageMeter.forResponse(chatRequest(true), false, SSE), stream, false, split);
      assertEquals(OPENAI_CHAT, run.usage(), "split at " + split);
      assertArrayEquals(stream, run.forwarded(), "split at " + split);
    }
  }

  @Test
  void streamIsPassedOnUnchangedWhenNothingIsStripped() throws Exception {
    UsageMeter meter = UsageMeter.forResponse(chatRequest(true), false, SSE);
    byte[] chunk = utf8("data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\ndata: [DO");
    assertSame(chunk, meter.feed(chunk));
  }

  @Test
  void forcedUsageChunkIsMeteredAndDroppedAtEverySplit() throws Exception {
    byte[] stream = bytes("responses/openai-chat-stream.sse");
    byte[] expected = withoutEvent(stream, "\"choices\":[],\"usage\"");
    assertTrue(expected.length < stream.length);
    for (int split = 0; split <= stream.length; split++) {
      Run run = run(UsageMeter.forResponse(chatRequest(true), true, SSE), stream, false, split);
      assertEquals(OPENAI_CHAT, run.usage(), "split at " + split);
      assertArrayEquals(expected, run.forwarded(), "split at " + split);
    }
  }

  @Test
  void forcedUsageChunkIsDroppedWhenFedOneByteAtATime() throws Exception {
    byte[] stream = bytes("responses/openrouter-chat-stream.sse");
    int[] splits = new int[stream.length - 1];
    Arrays.setAll(splits, i -> i + 1);
    Run run = run(UsageMeter.forResponse(chatRequest(true), true, SSE), stream, false, splits);
    assertArrayEquals(withoutEvent(stream, "\"choices\":[],\"usage\""), run.forwarded());
    assertEquals(new Usage(42, 9, 0, 0, false, "anthropic/claude-haiku-4.5"), run.usage());
  }

  @Test
  void usageChunkTheAgentAskedForIsKept() throws Exception {
    byte[] stream = bytes("responses/openrouter-chat-stream.sse");
    Run run = run(UsageMeter.forResponse(chatRequest(true), false, SSE), stream, false, 100);
    assertArrayEquals(stream, run.forwarded());
    assertEquals(42, run.usage().inputTokens());
  }

  @Test
  void openAiJsonBodyUsage() throws Exception {
    byte[] body = bytes("responses/openai-chat.json");
    Run run = run(UsageMeter.forResponse(chatRequest(false), false, JSON), body, false, 300);
    assertEquals(OPENAI_CHAT, run.usage());
    assertArrayEquals(body, run.forwarded());
  }

  @Test
  void embeddingsHaveOnlyInputTokens() throws Exception {
    LlmRequest request = LlmRequest.parse(Endpoint.EMBEDDINGS, "/embeddings",
        utf8("{\"model\":\"text-embedding-3-small\",\"input\":[\"a\",\"b\"]}"));
    Run run = run(UsageMeter.forResponse(request, false, JSON),
        bytes("responses/openai-embeddings.json"), false);
    assertEquals(new Usage(8, 0, 0, 0, false, "text-embedding-3-small"), run.usage());
  }

  @Test
  void responsesStreamUsageComesFromResponseCompletedAtEverySplit() throws Exception {
    byte[] stream = bytes("responses/openai-responses-stream.sse");
    for (int split = 0; split <= stream.length; split++) {
      UsageMeter meter =
          UsageMeter.forResponse(request(Endpoint.RESPONSES, "/responses"), false, SSE);
      assertEquals(OPENAI_RESPONSES, run(meter, stream, false, split).usage(), "split " + split);
    }
  }

  @Test
  void responsesJsonBodyUsage() throws Exception {
    UsageMeter meter =
        UsageMeter.forResponse(request(Endpoint.RESPONSES, "/responses"), false, JSON);
    assertEquals(OPENAI_RESPONSES,
        run(meter, bytes("responses/openai-responses.json"), false).usage());
  }

  @Test
  void anthropicStreamCountsCacheReadsAndWritesAsInputAtEverySplit() throws Exception {
    byte[] stream = bytes("responses/anthropic-stream.sse");
    for (int split = 0; split <= stream.length; split++) {
      UsageMeter meter =
          UsageMeter.forResponse(request(Endpoint.MESSAGES, "/v1/messages"), false, SSE);
      Run run = run(meter, stream, false, split);
      assertEquals(ANTHROPIC_STREAM, run.usage(), "split at " + split);
      assertArrayEquals(stream, run.forwarded());
    }
  }

  @Test
  void anthropicJsonBodyUsage() throws Exception {
    UsageMeter meter =
        UsageMeter.forResponse(request(Endpoint.MESSAGES, "/v1/messages"), false, JSON);
    assertEquals(new Usage(14272, 57, 12000, 0, false, "claude-haiku-4-5-20251001"),
        run(meter, bytes("responses/anthropic-message.json"), false).usage());
  }

  @Test
  void geminiStreamWithCrlfLineEndsTakesTheLastUsageAtEverySplit() throws Exception {
    byte[] stream = bytes("responses/gemini-stream.sse");
    for (int split = 0; split <= stream.length; split++) {
      Run run = run(UsageMeter.forResponse(geminiRequest(), false, SSE), stream, false, split);
      assertEquals(GEMINI, run.usage(), "split at " + split);
      assertArrayEquals(stream, run.forwarded());
    }
  }

  @Test
  void geminiJsonArrayStreamTakesTheLastUsage() throws Exception {
    Run run = run(UsageMeter.forResponse(geminiRequest(), false, JSON),
        bytes("responses/gemini-stream-array.json"), false, 10, 700);
    assertEquals(GEMINI, run.usage());
  }

  @Test
  void geminiJsonBodyUsage() throws Exception {
    Run run = run(UsageMeter.forResponse(geminiRequest(), false, JSON),
        bytes("responses/gemini-generate.json"), false);
    assertEquals(GEMINI, run.usage());
  }

  @Test
  void errorBodiesAreNoUsageNotAnException() throws Exception {
    for (String name : new String[] {"openai-error.json", "anthropic-error.json"}) {
      Run run = run(UsageMeter.forResponse(chatRequest(true), true, JSON),
          bytes("responses/" + name), false);
      assertEquals(Usage.NONE, run.usage(), name);
    }
  }

  @Test
  void garbageBodyIsNoUsage() throws Exception {
    Run run = run(UsageMeter.forResponse(chatRequest(false), false, "text/html"),
        utf8("<html><body>502 Bad Gateway</body></html>"), false);
    assertEquals(Usage.NONE, run.usage());
  }

  @Test
  void garbageEventsAndGarbageUsageAreSkippedNotThrown() throws Exception {
    byte[] stream = utf8("data: {not json\n\ndata: [1,2]\n\ndata: {\"usage\":\"lots\"}\n\n"
        + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":-5,\"completion_tokens\":\"x\"}}"
        + "\n\n");
    LlmRequest request = chatRequest(true);
    Run run = run(UsageMeter.forResponse(request, false, SSE), stream, false);
    assertEquals(new Usage(request.inputTokenEstimate(), 1, 0, 0, true, ""), run.usage());
  }

  @Test
  void streamCutBeforeUsageIsEstimatedFromTheTextReceived() throws Exception {
    byte[] stream = bytes("responses/openai-chat-stream.sse");
    byte[] cut = Arrays.copyOf(stream, indexOf(stream, "\"choices\":[],\"usage\""));
    LlmRequest request = chatRequest(true);
    Run run = run(UsageMeter.forResponse(request, true, SSE), cut, true);
    // "The capital" + " of France is Paris." = 31 bytes of text: 8 tokens.
    assertEquals(new Usage(request.inputTokenEstimate(), 8, 0, 0, true, "gpt-5-mini-2025-08-07"),
        run.usage());
  }

  @Test
  void streamCutAfterItsUsageIsExact() throws Exception {
    byte[] stream = bytes("responses/openai-chat-stream.sse");
    byte[] cut = Arrays.copyOf(stream, indexOf(stream, "data: [DONE]"));
    assertEquals(OPENAI_CHAT,
        run(UsageMeter.forResponse(chatRequest(true), true, SSE), cut, true).usage());
  }

  @Test
  void cutAnthropicStreamKeepsTheReportedInputAndEstimatesOutput() throws Exception {
    byte[] stream = bytes("responses/anthropic-stream.sse");
    byte[] cut = Arrays.copyOf(stream, indexOf(stream, "How can I") - 60);
    UsageMeter meter =
        UsageMeter.forResponse(request(Endpoint.MESSAGES, "/v1/messages"), false, SSE);
    Usage usage = run(meter, cut, true).usage();
    assertEquals(new Usage(14272, 2, 12000, 0, true, "claude-haiku-4-5-20251001"), usage);
  }

  @Test
  void cutStreamIsNeverFreeWhenTextArrived() throws Exception {
    byte[] stream = bytes("responses/gemini-stream.sse");
    for (int end = indexOf(stream, "Proxies") + 40; end < stream.length; end += 37) {
      Usage usage = run(UsageMeter.forResponse(geminiRequest(), false, SSE),
          Arrays.copyOf(stream, end), true).usage();
      assertTrue(usage.inputTokens() > 0 && usage.outputTokens() > 0, "cut at " + end);
    }
  }

  @Test
  void nothingReceivedIsTheInputEstimateAndNoOutput() throws Exception {
    LlmRequest request = chatRequest(true);
    Usage usage = UsageMeter.forResponse(request, true, SSE).finish(true);
    assertEquals(new Usage(request.inputTokenEstimate(), 0, 0, 0, true, ""), usage);
    assertTrue(usage.inputTokens() > 0);
  }

  @Test
  void streamThatNeverReportsUsageIsEstimatedEvenWhenItEndsCleanly() throws Exception {
    byte[] stream = bytes("responses/openai-chat-stream.sse");
    byte[] noUsage = withoutEvent(stream, "\"choices\":[],\"usage\"");
    Usage usage = run(UsageMeter.forResponse(chatRequest(true), false, SSE), noUsage, false)
        .usage();
    assertTrue(usage.estimated());
    assertEquals(8, usage.outputTokens());
  }

  @Test
  void cutJsonBodyIsEstimatedFromItsBytes() throws Exception {
    byte[] body = bytes("responses/openai-chat.json");
    byte[] cut = Arrays.copyOf(body, 400);
    Usage usage = run(UsageMeter.forResponse(chatRequest(false), false, JSON), cut, true).usage();
    assertEquals(100, usage.outputTokens());
    assertTrue(usage.estimated());
  }

  @Test
  void jsonBodyOverTheLimitIsEstimatedWithoutBeingKept() throws Exception {
    UsageMeter meter = UsageMeter.forResponse(chatRequest(false), false, JSON,
        new UsageMeter.Limits(1024, 1024));
    byte[] body = utf8("{\"choices\":[{\"message\":{\"content\":\"" + "x".repeat(4000)
        + "\"}}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1000}}");
    Usage usage = run(meter, body, false, 500, 1000, 1500).usage();
    assertTrue(usage.estimated());
    assertEquals(Tokens.fromBytes(body.length), usage.outputTokens());
  }

  @Test
  void streamedRequestAnsweredWithJsonErrorIsReadAsJson() throws Exception {
    Run run = run(UsageMeter.forResponse(chatRequest(true), true, JSON),
        bytes("responses/openai-error.json"), false);
    assertEquals(Usage.NONE, run.usage());
    assertArrayEquals(bytes("responses/openai-error.json"), run.forwarded());
  }

  @Test
  void oversizedEventPassesThroughAndMeteringContinues() throws Exception {
    UsageMeter meter = UsageMeter.forResponse(chatRequest(true), true, SSE,
        new UsageMeter.Limits(1024, 1024));
    byte[] big = utf8("data: {\"choices\":[{\"delta\":{\"content\":\"" + "y".repeat(3000)
        + "\"}}]}\n\n");
    byte[] usage = utf8("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,"
        + "\"completion_tokens\":800}}\n\ndata: [DONE]\n\n");
    byte[] stream = utf8(new String(big, UTF_8) + new String(usage, UTF_8));
    Run run = run(meter, stream, false, 700, 1400, 2100);
    assertArrayEquals(utf8(new String(big, UTF_8) + "data: [DONE]\n\n"), run.forwarded());
    assertEquals(new Usage(5, 800, 0, 0, false, ""), run.usage());
  }

  @Test
  void flushGivesBackALastEventWithoutItsBlankLine() throws Exception {
    UsageMeter meter = UsageMeter.forResponse(chatRequest(true), true, SSE);
    assertEquals(0, meter.feed(utf8("data: [DONE]")).length);
    assertEquals("data: [DONE]", new String(meter.flush(), UTF_8));
  }

  @Test
  void soFarGrowsDuringAStreamAndIsFinalOnceUsageArrives() throws Exception {
    byte[] stream = bytes("responses/openai-chat-stream.sse");
    UsageMeter meter = UsageMeter.forResponse(chatRequest(true), true, SSE);
    int usageAt = indexOf(stream, "\"choices\":[],\"usage\"");
    meter.feed(Arrays.copyOf(stream, 400));
    long early = meter.soFar().outputTokens();
    meter.feed(Arrays.copyOfRange(stream, 400, usageAt));
    assertTrue(meter.soFar().outputTokens() > early);
    assertTrue(meter.soFar().estimated());
    meter.feed(Arrays.copyOfRange(stream, usageAt, stream.length));
    assertEquals(OPENAI_CHAT, meter.soFar());
  }

  @Test
  void finishAnswersTheSameEveryTime() throws Exception {
    UsageMeter meter = UsageMeter.forResponse(chatRequest(true), false, SSE);
    meter.feed(bytes("responses/openai-chat-stream.sse"));
    Usage first = meter.finish(false);
    assertSame(first, meter.finish(true));
    assertThrows(IllegalStateException.class, () -> meter.feed(utf8("data: x\n\n")));
  }

  @Test
  void eventStreamIsRecognisedWithParametersAndInAnyCase() {
    assertTrue(UsageMeter.isEventStream("text/event-stream"));
    assertTrue(UsageMeter.isEventStream("Text/Event-Stream; charset=utf-8"));
    assertFalse(UsageMeter.isEventStream("application/json"));
    assertFalse(UsageMeter.isEventStream(null));
  }
  /** An OpenAI chunk carrying {@code text} as generated content. */
  private static String contentEvent(String text) {
    return "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + text
        + "\"}}]}\n\n";
  }

  @Test
  void aCappedStreamForwardsWholeEventsOnlyAtEverySplit() throws Exception {
    byte[] stream = bytes("responses/openai-chat-stream.sse");
    for (int split = 0; split <= stream.length; split++) {
      UsageMeter meter = UsageMeter.forResponse(chatRequest(true), false, SSE);
      meter.capOutput(1_000_000);
      byte[] first = meter.feed(Arrays.copyOfRange(stream, 0, split));
      String sent = new String(first, UTF_8);
      assertTrue(sent.isEmpty() || sent.endsWith("\n\n"), "split at " + split + ": " + sent);
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      all.writeBytes(first);
      all.writeBytes(meter.feed(Arrays.copyOfRange(stream, split, stream.length)));
      all.writeBytes(meter.flush());
      assertArrayEquals(stream, all.toByteArray(), "split at " + split);
    }
  }

  @Test
  void aCappedStreamKeepsTheUsageChunkTheAgentAskedFor() throws Exception {
    byte[] stream = bytes("responses/openai-chat-stream.sse");
    UsageMeter meter = UsageMeter.forResponse(chatRequest(true), false, SSE);
    meter.capOutput(1_000_000);
    Run run = run(meter, stream, false);
    assertArrayEquals(stream, run.forwarded());
    assertEquals(OPENAI_CHAT, run.usage());
  }

  @Test
  void theOutputCapIsPassedOnceTheTextRunsPastIt() throws Exception {
    UsageMeter meter = UsageMeter.forResponse(chatRequest(true), false, SSE);
    meter.capOutput(10); // 10 tokens: about 40 bytes of text
    meter.feed(utf8(contentEvent("x".repeat(40))));
    assertFalse(meter.outputCapPassed());
    meter.feed(utf8(contentEvent("y".repeat(8))));
    assertTrue(meter.outputCapPassed());
  }

  @Test
  void theOutputCapAllowsAnEighthForTheEstimate() throws Exception {
    UsageMeter meter = UsageMeter.forResponse(chatRequest(true), false, SSE);
    meter.capOutput(80);
    meter.feed(utf8(contentEvent("x".repeat(360)))); // 90 tokens: within 80 + 10
    assertFalse(meter.outputCapPassed());
    meter.feed(utf8(contentEvent("y".repeat(8))));
    assertTrue(meter.outputCapPassed());
  }

  @Test
  void anOpenAiAnswerWithAFinishReasonIsNeverStopped() throws Exception {
    UsageMeter meter = UsageMeter.forResponse(chatRequest(true), false, SSE);
    meter.capOutput(1);
    meter.feed(utf8("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\""
        + "z".repeat(400) + "\"},\"finish_reason\":\"stop\"}]}\n\n"));
    assertFalse(meter.outputCapPassed());
  }

  @Test
  void anAnthropicAnswerWithAStopReasonIsNeverStopped() throws Exception {
    LlmRequest request = LlmRequest.parse(Endpoint.MESSAGES, "/v1/messages",
        utf8("{\"model\":\"claude-haiku-4-5\",\"max_tokens\":10,\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
    UsageMeter meter = UsageMeter.forResponse(request, false, SSE);
    meter.capOutput(1);
    meter.feed(utf8("event: content_block_delta\ndata: {\"type\":\"content_block_delta\","
        + "\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"" + "w".repeat(400)
        + "\"}}\n\n"));
    assertTrue(meter.outputCapPassed());
    meter.feed(utf8("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":"
        + "{\"stop_reason\":\"end_turn\"}}\n\n"));
    assertFalse(meter.outputCapPassed());
  }

  @Test
  void aPartialEventIsHeldBackWhenTheOutputIsCapped() throws Exception {
    UsageMeter meter = UsageMeter.forResponse(chatRequest(true), false, SSE);
    meter.capOutput(10);
    String event = contentEvent("hello");
    String half = event.substring(0, event.length() / 2);
    assertEquals(0, meter.feed(utf8(half)).length);
    assertEquals(event, new String(meter.feed(utf8(event.substring(half.length()))), UTF_8));
  }

  @Test
  void capOutputDoesNothingToAJsonBody() throws Exception {
    byte[] body = bytes("responses/openai-chat.json");
    UsageMeter meter = UsageMeter.forResponse(chatRequest(false), false, JSON);
    meter.capOutput(1);
    assertSame(body, meter.feed(body));
    assertFalse(meter.outputCapPassed());
  }

  @Test
  void theOutputCapIsSetBeforeTheBodyStarts() throws Exception {
    UsageMeter meter = UsageMeter.forResponse(chatRequest(true), false, SSE);
    meter.feed(utf8(contentEvent("a")));
    assertThrows(IllegalStateException.class, () -> meter.capOutput(10));
  }

  @Test
  void aPartialEventIsHeldBackWhenWholeEventsAreAskedFor() throws Exception {
    UsageMeter meter = UsageMeter.forResponse(chatRequest(true), false, SSE);
    meter.forwardWholeEvents();
    String event = contentEvent("hello");
    String half = event.substring(0, event.length() / 2);
    assertEquals(0, meter.feed(utf8(half)).length);
    assertEquals(event, new String(meter.feed(utf8(event.substring(half.length()))), UTF_8));
  }

  @Test
  void wholeEventsChangeNothingForAJsonBody() throws Exception {
    byte[] body = bytes("responses/openai-chat.json");
    UsageMeter meter = UsageMeter.forResponse(chatRequest(false), false, JSON);
    meter.forwardWholeEvents();
    assertSame(body, meter.feed(body));
  }
}
