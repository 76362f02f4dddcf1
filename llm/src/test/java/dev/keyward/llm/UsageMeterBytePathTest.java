package dev.keyward.llm;

import static dev.keyward.llm.Fixtures.bytes;
import static dev.keyward.llm.Fixtures.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A meter that reads content chunks on their bytes meters exactly as one that parses every
 * event: for recorded streams of each API, split into two buffers at every byte position and cut
 * at every byte position, the usage so far, the final usage, the output cap and the bytes
 * forwarded are the same.
 */
class UsageMeterBytePathTest {

  private static final String SSE = "text/event-stream";

  /** OpenAI chunks the fixtures lack: text in other scripts, escapes, tool calls, CRLF, comments. */
  private static final byte[] MIXED_OPENAI = utf8(": keep-alive\r\n\r\n"
      + "data: {\"id\":\"c\",\"model\":\"gpt-5-mini\",\"choices\":[{\"index\":0,\"delta\":"
      + "{\"role\":\"assistant\",\"content\":\"Grüße, 日本 😀\\n\\\"q\\\"\"},\"finish_reason\":null}],"
      + "\"usage\":null}\r\n\r\n"
      + "data: {\"id\":\"c\",\"model\":\"gpt-5-mini\",\"choices\":[{\"index\":0,\"delta\":"
      + "{\"content\":\"caf\\u00e9\"},\"finish_reason\":null}]}\n\n"
      + "data: {\"id\":\"c\",\"model\":\"gpt-5-mini\",\"choices\":[{\"index\":0,\"delta\":"
      + "{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":\"}}]},"
      + "\"finish_reason\":null}]}\n\n"
      + "data: {\"id\":\"c\",\"model\":\"gpt-5-mini-2025-08-07\",\"choices\":[{\"index\":0,\"delta\":{},"
      + "\"finish_reason\":\"tool_calls\"}]}\n"
      + "data: \n\n"
      + "data: {\"id\":\"c\",\"model\":\"gpt-5-mini-2025-08-07\",\"choices\":[],\"usage\":"
      + "{\"prompt_tokens\":30,\"completion_tokens\":12,\"total_tokens\":42}}\n\n"
      + "data: [DONE]\n\n");

  private record Stream(String name, LlmRequest request, byte[] body) {}

  @Test
  void metersAsParsingEveryEventAtEverySplitAndEveryCut() throws Exception {
    LlmRequest chat = LlmRequest.parse(Endpoint.CHAT_COMPLETIONS, "/chat/completions",
        utf8("{\"model\":\"gpt-5-mini\",\"stream\":true,\"messages\":[{\"role\":\"user\","
            + "\"content\":\"What is the capital of France?\"}]}"));
    LlmRequest anyModel = LlmRequest.parse(Endpoint.CHAT_COMPLETIONS, "/chat/completions",
        utf8("{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"));
    LlmRequest responses = LlmRequest.parse(Endpoint.RESPONSES, "/responses",
        utf8("{\"model\":\"m\",\"stream\":true,\"input\":\"Say hello to the proxy.\"}"));
    LlmRequest anthropic = LlmRequest.parse(Endpoint.MESSAGES, "/v1/messages",
        utf8("{\"model\":\"m\",\"stream\":true,\"max_tokens\":64,\"messages\":[{\"role\":\"user\","
            + "\"content\":\"Say hello to the proxy.\"}]}"));
    LlmRequest gemini = LlmRequest.parse(Endpoint.STREAM_GENERATE_CONTENT,
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
        bytes("requests/gemini-generate.json"));
    List<Stream> streams = List.of(
        new Stream("openai", chat, bytes("responses/openai-chat-stream.sse")),
        new Stream("openrouter", anyModel, bytes("responses/openrouter-chat-stream.sse")),
        new Stream("mixed openai", anyModel, MIXED_OPENAI),
        new Stream("responses", responses, bytes("responses/openai-responses-stream.sse")),
        new Stream("anthropic", anthropic, bytes("responses/anthropic-stream.sse")),
        new Stream("gemini", gemini, bytes("responses/gemini-stream.sse")));
    Random random = new Random(21);
    for (Stream stream : streams) {
      for (int cut = 0; cut <= stream.body().length; cut++) {
        int split = random.nextInt(cut + 1);
        boolean strip = random.nextBoolean();
        long cap = random.nextInt(40);
        String where = stream.name() + " strip=" + strip + " cut at " + cut + " split at " + split;
        Run bytePath = run(meter(stream, strip, cap, true), stream.body(), split, cut);
        Run reference = run(meter(stream, strip, cap, false), stream.body(), split, cut);
        assertEquals(reference.said(), bytePath.said(), where);
        assertArrayEquals(reference.forwarded(), bytePath.forwarded(), where);
      }
    }
  }

  @Test
  void forwardsTheSameBytesWhenTheUsageChunkIsStrippedAtEverySplit() throws Exception {
    LlmRequest request = LlmRequest.parse(Endpoint.CHAT_COMPLETIONS, "/chat/completions",
        utf8("{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"));
    Stream stream = new Stream("mixed openai", request, MIXED_OPENAI);
    for (int split = 0; split <= MIXED_OPENAI.length; split++) {
      byte[] bytePath = forwarded(meter(stream, true, -1, true), MIXED_OPENAI, split);
      byte[] reference = forwarded(meter(stream, true, -1, false), MIXED_OPENAI, split);
      assertArrayEquals(reference, bytePath, "split at " + split);
    }
  }

  private static UsageMeter meter(Stream stream, boolean strip, long cap, boolean bytePath) {
    UsageMeter meter = UsageMeter.forResponse(stream.request(), strip, SSE);
    if (cap >= 0) {
      meter.capOutput(cap);
    }
    return bytePath ? meter : meter.parsingEveryEvent();
  }

  /** What the meter said along the way, and the bytes it forwarded. */
  private record Run(String said, byte[] forwarded) {}

  private static Run run(UsageMeter meter, byte[] body, int split, int cut) {
    StringBuilder seen = new StringBuilder();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(meter.feed(Arrays.copyOfRange(body, 0, split)));
    seen.append(meter.soFar()).append(' ').append(meter.outputCapPassed()).append('\n');
    out.writeBytes(meter.feed(Arrays.copyOfRange(body, split, cut)));
    seen.append(meter.soFar()).append(' ').append(meter.outputCapPassed()).append('\n');
    boolean whole = cut == body.length;
    if (whole) {
      out.writeBytes(meter.flush());
    }
    seen.append(meter.finish(!whole));
    return new Run(seen.toString(), out.toByteArray());
  }

  private static byte[] forwarded(UsageMeter meter, byte[] body, int split) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(meter.feed(Arrays.copyOfRange(body, 0, split)));
    out.writeBytes(meter.feed(Arrays.copyOfRange(body, split, body.length)));
    out.writeBytes(meter.flush());
    return out.toByteArray();
  }
}
