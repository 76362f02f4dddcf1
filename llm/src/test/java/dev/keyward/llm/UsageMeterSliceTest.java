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
 * Feeding a meter slices of larger arrays (as the proxy feeds it its buffers' backing arrays)
 * meters and forwards exactly what feeding it copies does, and sends whole events on in place.
 */
class UsageMeterSliceTest {

  private static final String SSE = "text/event-stream";
  private static final String CHUNK = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\","
      + "\"model\":\"gpt-5-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"word \"},"
      + "\"finish_reason\":null}]}\n\n";
  private static final String USAGE = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\","
      + "\"model\":\"gpt-5-mini\",\"choices\":[],\"usage\":{\"prompt_tokens\":18,"
      + "\"completion_tokens\":3,\"total_tokens\":21}}\n\n";
  /** Around each slice: line ends, a field and a blank line, which must never be read. */
  private static final byte[] JUNK = utf8("\n\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\""
      + ":9}}\r\n\r\n:x\n");

  private record Stream(String name, LlmRequest request, byte[] body) {}

  @Test
  void slicesAtOffsetsMeterAndForwardAsCopiesDo() throws Exception {
    LlmRequest chat = LlmRequest.parse(Endpoint.CHAT_COMPLETIONS, "/chat/completions",
        utf8("{\"model\":\"gpt-5-mini\",\"stream\":true,\"messages\":[{\"role\":\"user\","
            + "\"content\":\"What is the capital of France?\"}]}"));
    LlmRequest anthropic = LlmRequest.parse(Endpoint.MESSAGES, "/v1/messages",
        utf8("{\"model\":\"m\",\"stream\":true,\"max_tokens\":64,\"messages\":[{\"role\":\"user\","
            + "\"content\":\"Say hello to the proxy.\"}]}"));
    LlmRequest json = LlmRequest.parse(Endpoint.CHAT_COMPLETIONS, "/chat/completions",
        utf8("{\"model\":\"gpt-5-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"));
    List<Stream> streams = List.of(
        new Stream("openai", chat, bytes("responses/openai-chat-stream.sse")),
        new Stream("bench", chat, utf8(CHUNK.repeat(20) + USAGE + "data: [DONE]\n\n")),
        new Stream("crlf", chat, utf8((CHUNK.repeat(5) + USAGE).replace("\n", "\r\n"))),
        new Stream("anthropic", anthropic, bytes("responses/anthropic-stream.sse")),
        new Stream("json", json, bytes("responses/openai-chat.json")));
    Random random = new Random(7);
    for (Stream stream : streams) {
      for (int run = 0; run < 300; run++) {
        boolean strip = random.nextBoolean();
        long cap = random.nextBoolean() ? -1 : random.nextInt(40);
        boolean wholeEvents = random.nextBoolean();
        String contentType = stream.name().equals("json") ? "application/json" : SSE;
        UsageMeter sliced = meter(stream, contentType, strip, cap, wholeEvents);
        UsageMeter copied = meter(stream, contentType, strip, cap, wholeEvents);
        ByteArrayOutputStream slicedOut = new ByteArrayOutputStream();
        ByteArrayOutputStream copiedOut = new ByteArrayOutputStream();
        byte[] body = stream.body();
        for (int at = 0; at < body.length; ) {
          int length = Math.min(body.length - at, random.nextInt(3) == 0 ? random.nextInt(4)
              : random.nextInt(body.length / 3 + 1));
          int before = random.nextInt(JUNK.length);
          byte[] array = new byte[before + length + random.nextInt(JUNK.length)];
          Arrays.fill(array, (byte) '\n');
          System.arraycopy(JUNK, 0, array, 0, before);
          System.arraycopy(body, at, array, before, length);
          UsageMeter.ToSend out = sliced.feed(array, before, length);
          byte[] sent = sent(out, array);
          assertEquals(sent.length, out.length());
          slicedOut.writeBytes(sent);
          copiedOut.writeBytes(copied.feed(Arrays.copyOfRange(body, at, at + length)));
          String where = stream.name() + " run " + run + " at " + at;
          assertEquals(copied.soFar(), sliced.soFar(), where);
          assertEquals(copied.outputCapPassed(), sliced.outputCapPassed(), where);
          assertArrayEquals(copiedOut.toByteArray(), slicedOut.toByteArray(), where);
          at += length;
        }
        slicedOut.writeBytes(sliced.flush());
        copiedOut.writeBytes(copied.flush());
        assertArrayEquals(copiedOut.toByteArray(), slicedOut.toByteArray(), stream.name());
        assertEquals(copied.finish(false), sliced.finish(false), stream.name());
      }
    }
  }

  @Test
  void sendsWholeEventsOnInPlaceAndHeadsOnlyTheHeldPartOfASplitEvent() throws Exception {
    LlmRequest chat = LlmRequest.parse(Endpoint.CHAT_COMPLETIONS, "/chat/completions",
        utf8("{\"model\":\"gpt-5-mini\",\"stream\":true,\"messages\":[]}"));
    UsageMeter meter = UsageMeter.forResponse(chat, true, SSE);
    byte[] body = utf8(CHUNK.repeat(3));
    int split = CHUNK.length() + 10;

    UsageMeter.ToSend first = meter.feed(body, 0, split);
    assertEquals(0, first.head().length);
    assertEquals(1, first.ranges());
    assertEquals(0, first.from(0));
    assertEquals(CHUNK.length(), first.to(0));

    UsageMeter.ToSend second = meter.feed(body, split, body.length - split);
    assertArrayEquals(Arrays.copyOfRange(body, CHUNK.length(), split), second.head());
    assertEquals(1, second.ranges());
    assertEquals(split, second.from(0));
    assertEquals(body.length, second.to(0));
  }

  @Test
  void stripsTheUsageChunkFromASliceAsTwoRangesAroundIt() throws Exception {
    LlmRequest chat = LlmRequest.parse(Endpoint.CHAT_COMPLETIONS, "/chat/completions",
        utf8("{\"model\":\"gpt-5-mini\",\"stream\":true,\"messages\":[]}"));
    UsageMeter meter = UsageMeter.forResponse(chat, true, SSE);
    byte[] body = utf8("xx" + CHUNK + USAGE + "data: [DONE]\n\nyy");

    UsageMeter.ToSend out = meter.feed(body, 2, body.length - 4);

    assertEquals(0, out.head().length);
    assertEquals(2, out.ranges());
    assertArrayEquals(utf8(CHUNK + "data: [DONE]\n\n"), sent(out, body));
    assertEquals(3, meter.finish(false).outputTokens());
  }

  /** The head, then each range of {@code array}. */
  private static byte[] sent(UsageMeter.ToSend out, byte[] array) {
    ByteArrayOutputStream sent = new ByteArrayOutputStream();
    sent.writeBytes(out.head());
    for (int i = 0; i < out.ranges(); i++) {
      sent.write(array, out.from(i), out.to(i) - out.from(i));
    }
    return sent.toByteArray();
  }

  private static UsageMeter meter(Stream stream, String contentType, boolean strip, long cap,
      boolean wholeEvents) {
    UsageMeter meter = UsageMeter.forResponse(stream.request(), strip, contentType);
    if (cap >= 0) {
      meter.capOutput(cap);
    }
    if (wholeEvents) {
      meter.forwardWholeEvents();
    }
    return meter;
  }
}
