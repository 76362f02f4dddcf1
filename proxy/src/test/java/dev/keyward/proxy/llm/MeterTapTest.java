package dev.keyward.proxy.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.llm.Api;
import dev.keyward.llm.Endpoint;
import dev.keyward.llm.LlmRequest;
import dev.keyward.llm.UsageMeter;
import dev.keyward.proxy.call.BodyTap;
import dev.keyward.proxy.error.ProxyError;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MeterTapTest {

  private static final String CHUNK = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\","
      + "\"model\":\"gpt-5-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"word \"},"
      + "\"finish_reason\":null}]}\n\n";
  private static final String USAGE = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\","
      + "\"model\":\"gpt-5-mini\",\"choices\":[],\"usage\":{\"prompt_tokens\":18,"
      + "\"completion_tokens\":20,\"total_tokens\":38}}\n\n";
  private static final String DONE = "data: [DONE]\n\n";
  private static final String STREAM = CHUNK.repeat(20) + USAGE + DONE;

  @Test
  void forwardsTheStreamLessTheUsageChunkForBuffersOfAnyKindSplitAnywhere() throws Exception {
    Random random = new Random(5);
    byte[] body = STREAM.getBytes(StandardCharsets.UTF_8);
    for (int run = 0; run < 500; run++) {
      UsageMeter meter = meter();
      MeterTap tap = new MeterTap(meter, Api.OPENAI, null);
      Buffer sent = Buffer.buffer();
      for (int at = 0; at < body.length; ) {
        int length = Math.min(body.length - at, 1 + random.nextInt(random.nextBoolean() ? 8 : 600));
        sent.appendBuffer(tap.chunk(buffer(body, at, length, random.nextInt(3))));
        at += length;
      }
      sent.appendBuffer(tap.end());
      assertEquals(CHUNK.repeat(20) + DONE, sent.toString(StandardCharsets.UTF_8), "run " + run);
      assertEquals(20, meter.finish(false).outputTokens());
    }
  }

  @Test
  void sendsOnTheChunkItselfWhenItHoldsWholeEvents() throws Exception {
    MeterTap tap = new MeterTap(meter(), Api.OPENAI, null);
    Buffer whole = Buffer.buffer(CHUNK.repeat(3));
    assertSame(whole, tap.chunk(whole));
  }

  @Test
  void stopsWithAnErrorEventBetweenEventsOnceTheCapIsPassed() throws Exception {
    UsageMeter meter = meter();
    meter.capOutput(1);
    MeterTap tap = new MeterTap(meter, Api.OPENAI,
        new ProxyError(402, "output_cap", "the output passed the cap"));
    BodyTap.Stop stop = assertThrows(BodyTap.Stop.class,
        () -> tap.chunk(Buffer.buffer(CHUNK.repeat(20) + "data: {\"id\"")));
    String last = stop.last().toString(StandardCharsets.UTF_8);
    assertTrue(last.startsWith(CHUNK.repeat(20)), last);
    assertTrue(last.substring(CHUNK.length() * 20).contains("the output passed the cap"), last);
  }

  private static UsageMeter meter() throws Exception {
    LlmRequest request = LlmRequest.parse(Endpoint.CHAT_COMPLETIONS, "/chat/completions",
        "{\"model\":\"gpt-5-mini\",\"stream\":true,\"messages\":[]}".getBytes(
            StandardCharsets.UTF_8));
    return UsageMeter.forResponse(request, true, "text/event-stream");
  }

  /** {@code body[at..at+length)} as a heap buffer of its own, a slice of a larger one, or direct. */
  private static Buffer buffer(byte[] body, int at, int length, int kind) {
    return switch (kind) {
      case 0 -> Buffer.buffer().appendBytes(body, at, length);
      case 1 -> Buffer.buffer(body).slice(at, at + length);
      default -> BufferInternal.buffer(Unpooled.directBuffer(length).writeBytes(body, at, length));
    };
  }
}
