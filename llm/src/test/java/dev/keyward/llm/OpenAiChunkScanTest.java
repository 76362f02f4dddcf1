package dev.keyward.llm;

import static dev.keyward.llm.Fixtures.bytes;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The byte path of {@link OpenAiUsage} against the tree path it stands in for: on any input it
 * either declines, or leaves the usage exactly as parsing the decoded text and reading the tree
 * would.
 */
class OpenAiChunkScanTest {

  private static final String[] KEYS = {"content", "text", "refusal", "reasoning",
      "reasoning_content", "thinking", "partial_json", "arguments", "input", "args", "model",
      "type", "usage", "choices", "finish_reason", "delta", "index", "id", "tool_calls",
      "function", "name", "role", "logprobs", "prompt_tokens", "completion_tokens", "x", ""};
  private static final String[] STRINGS = {"word ", "é", "日本語", "😀", "\\n", "\\\"", "\\\\",
      "\\/", "\\t", "\\u00e9", "\\ud83d\\ude00", "\\ud83d", "\\x", "\u0001", "", "stop",
      "response.created", "response.output_text.delta", "gpt-5-mini", "gpt-4o", "a b", "\t"};
  private static final String[] NUMBERS = {"0", "-1", "7", "01", "1.5e3", "1.", "-", "1e", "1E+2",
      "-0.0", "123456789012345678901234567890", ".5", "+1", "2x"};
  private static final String[] LITERALS = {"true", "false", "null", "nul", "truex", "True"};

  @Test
  void readsEveryContentChunkOfTheRecordedStreamsOnItsBytes() {
    for (String fixture : List.of("openai-chat-stream.sse", "openrouter-chat-stream.sse")) {
      List<byte[]> messages = dataLines(bytes("responses/" + fixture));
      OpenAiUsage fast = new OpenAiUsage(true);
      OpenAiUsage tree = new OpenAiUsage(true);
      int read = 0;
      for (byte[] message : messages) {
        String text = new String(message, UTF_8);
        boolean hasUsageObject = text.contains("\"usage\":{");
        boolean readOnBytes = readThroughBytes(fast, message);
        assertEquals(!hasUsageObject, readOnBytes, fixture + ": " + text);
        read += readOnBytes ? 1 : 0;
        readThroughTree(tree, message);
        assertEquals(state(tree), state(fast), fixture + ": " + text);
      }
      assertTrue(read >= 3, fixture);
    }
  }

  @Test
  void declinesTheResponsesApiEvents() {
    for (byte[] message : dataLines(bytes("responses/openai-responses-stream.sse"))) {
      assertFalse(new OpenAiUsage(true).accept(message, 0, message.length),
          new String(message, UTF_8));
    }
  }

  @Test
  void declinesADuplicateKey() {
    byte[] twice = Fixtures.utf8("{\"choices\":[{\"delta\":{\"content\":\"ab\",\"content\":\"c\"}}]}");
    assertFalse(new OpenAiUsage(true).accept(twice, 0, twice.length));
  }

  @Test
  void givesWhatTheTreeGivesOrDeclinesOnRandomMessages() {
    Random random = new Random(21);
    int readOnBytes = 0;
    int messages = 0;
    for (int sequence = 0; sequence < 3000; sequence++) {
      OpenAiUsage fast = new OpenAiUsage(sequence % 5 != 0);
      OpenAiUsage tree = new OpenAiUsage(sequence % 5 != 0);
      int length = 1 + random.nextInt(6);
      for (int i = 0; i < length; i++) {
        byte[] message = message(random);
        messages++;
        readOnBytes += readThroughBytes(fast, message) ? 1 : 0;
        readThroughTree(tree, message);
        assertEquals(state(tree), state(fast), new String(message, UTF_8));
      }
    }
    // The generator is meant to hit both paths often.
    assertTrue(readOnBytes > messages / 10, readOnBytes + " of " + messages);
    assertTrue(readOnBytes < messages * 9 / 10, readOnBytes + " of " + messages);
  }

  @Test
  void chunksOfOneShapeWithAnyTextGiveWhatTheTreeGives() {
    String[] texts = {"word ", "", "é😀", "\\n", "\\\"", "a\"b", "\\", "\"},\"x\":\"", "\u0001",
        "\\u00e9", "\\x", "日本"};
    String[] shapes = {
        "{\"id\":\"c\",\"model\":\"gpt-5-mini\",\"choices\":[{\"index\":0,\"delta\":"
            + "{\"content\":\"%s\"},\"finish_reason\":null}]}",
        "{\"choices\":[{\"delta\":{\"content\":\"%s\"},\"finish_reason\":\"stop\"}],"
            + "\"model\":\"gpt-4o\"}",
        "{\"choices\":[{\"delta\":{\"reasoning\":\"ab\",\"content\":\"%s\"}}]}  trailing",
        "{\"model\":\"gpt-5-mini\",\"choices\":[{\"delta\":{\"content\":\"%s\"}}],"
            + "\"usage\":{\"prompt_tokens\":1}}"};
    Random random = new Random(7);
    for (int sequence = 0; sequence < 2000; sequence++) {
      OpenAiUsage fast = new OpenAiUsage(true);
      OpenAiUsage tree = new OpenAiUsage(true);
      for (int i = 0; i < 8; i++) {
        StringBuilder text = new StringBuilder();
        for (int n = random.nextInt(4); n > 0; n--) {
          text.append(texts[random.nextInt(texts.length)]);
        }
        String shape = shapes[random.nextInt(8) == 0 ? random.nextInt(shapes.length) : 0];
        byte[] message = String.format(shape, text).getBytes(UTF_8);
        if (random.nextInt(20) == 0) {
          message[message.length - 1 - random.nextInt(message.length / 2)] = (byte) 0xC3;
        }
        readThroughBytes(fast, message);
        readThroughTree(tree, message);
        assertEquals(state(tree), state(fast), new String(message, UTF_8));
      }
    }
  }

  @Test
  void givesWhatTheTreeGivesOnEveryTruncationOfAChunk() {
    byte[] chunk = Fixtures.utf8("{\"id\":\"c1\",\"model\":\"gpt-5-mini\",\"choices\":[{\"index\":0,"
        + "\"delta\":{\"content\":\"Paris é 😀\\n\",\"tool_calls\":[{\"function\":{\"arguments\":"
        + "\"{\\\"a\\\":1}\"}}]},\"finish_reason\":\"stop\"}],\"usage\":null} trailing");
    for (int end = 1; end <= chunk.length; end++) {
      byte[] message = Arrays.copyOf(chunk, end);
      OpenAiUsage fast = new OpenAiUsage(true);
      OpenAiUsage tree = new OpenAiUsage(true);
      readThroughBytes(fast, message);
      readThroughTree(tree, message);
      assertEquals(state(tree), state(fast), new String(message, UTF_8));
    }
  }

  /** As UsageMeter reads a one-line event: the bytes first, else the decoded text as a tree. */
  private static boolean readThroughBytes(OpenAiUsage usage, byte[] message) {
    if (usage.accept(message, 0, message.length)) {
      return true;
    }
    readThroughTree(usage, message);
    return false;
  }

  private static void readThroughTree(OpenAiUsage usage, byte[] message) {
    JsonNode node = Json.readResponse(new String(message, UTF_8));
    if (node != null && node.isObject()) {
      usage.accept(node);
    }
  }

  private static String state(ProviderUsage u) {
    return "in=" + u.input + " out=" + u.output + " cached=" + u.cached + " reasoning="
        + u.reasoning + " model=" + u.model + " reported=" + u.reported + " complete="
        + u.complete + " done=" + u.done + " content=" + u.contentBytes;
  }

  private static List<byte[]> dataLines(byte[] stream) {
    List<byte[]> out = new ArrayList<>();
    for (String line : new String(stream, UTF_8).split("\r\n|\r|\n")) {
      if (line.startsWith("data: {")) {
        out.add(line.substring(6).getBytes(UTF_8));
      }
    }
    return out;
  }

  /** A chat-chunk-like object, often malformed in some small way. */
  private static byte[] message(Random random) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write('{');
    List<String> members = new ArrayList<>();
    if (random.nextInt(4) > 0) {
      members.add("\"model\":" + (random.nextInt(5) == 0 ? "7" : quoted(random)));
    }
    if (random.nextInt(3) > 0) {
      StringBuilder choices = new StringBuilder("\"choices\":[");
      int n = random.nextInt(3);
      for (int i = 0; i < n; i++) {
        choices.append(i > 0 ? "," : "").append(random.nextInt(6) == 0 ? value(random, 2)
            : "{\"index\":0,\"delta\":" + object(random, 2) + ",\"finish_reason\":"
                + (random.nextBoolean() ? "null" : quoted(random)) + "}");
      }
      members.add(choices.append(']').toString());
    }
    int extra = random.nextInt(4);
    for (int i = 0; i < extra; i++) {
      members.add(member(random, 2));
    }
    if (random.nextInt(4) == 0) {
      members.add("\"usage\":" + (random.nextBoolean() ? "null"
          : "{\"prompt_tokens\":3,\"completion_tokens\":" + NUMBERS[random.nextInt(4)] + "}"));
    }
    java.util.Collections.shuffle(members, random);
    String body = String.join(space(random) + "," + space(random), members);
    out.writeBytes(body.getBytes(UTF_8));
    out.write('}');
    if (random.nextInt(8) == 0) {
      out.writeBytes(" {garbage".getBytes(UTF_8));
    }
    byte[] bytes = out.toByteArray();
    switch (random.nextInt(12)) {
      case 0 -> bytes = Arrays.copyOf(bytes, 1 + random.nextInt(bytes.length));
      case 1 -> bytes[1 + random.nextInt(bytes.length - 1)] = (byte) (0x80 + random.nextInt(128));
      case 2 -> bytes[1 + random.nextInt(bytes.length - 1)] = (byte) random.nextInt(128);
      default -> { }
    }
    return bytes;
  }

  private static String member(Random random, int depth) {
    return "\"" + KEYS[random.nextInt(KEYS.length)] + "\"" + space(random) + ":" + space(random)
        + value(random, depth);
  }

  private static String value(Random random, int depth) {
    int kind = random.nextInt(depth > 0 ? 6 : 4);
    return switch (kind) {
      case 0, 1 -> quoted(random);
      case 2 -> NUMBERS[random.nextInt(random.nextInt(5) == 0 ? NUMBERS.length : 5)];
      case 3 -> LITERALS[random.nextInt(random.nextInt(5) == 0 ? LITERALS.length : 3)];
      case 4 -> object(random, depth - 1);
      default -> {
        StringBuilder array = new StringBuilder("[");
        int n = random.nextInt(3);
        for (int i = 0; i < n; i++) {
          array.append(i > 0 ? "," : "").append(value(random, depth - 1));
        }
        yield array.append(']').toString();
      }
    };
  }

  private static String object(Random random, int depth) {
    StringBuilder object = new StringBuilder("{");
    int n = random.nextInt(4);
    for (int i = 0; i < n; i++) {
      object.append(i > 0 ? "," : "").append(member(random, depth));
    }
    return object.append('}').toString();
  }

  private static String quoted(Random random) {
    StringBuilder text = new StringBuilder("\"");
    int n = random.nextInt(4);
    for (int i = 0; i < n; i++) {
      text.append(STRINGS[random.nextInt(random.nextInt(3) == 0 ? STRINGS.length : 5)]);
    }
    return text.append('"').toString();
  }

  private static String space(Random random) {
    return switch (random.nextInt(10)) {
      case 0 -> " ";
      case 1 -> "\t ";
      case 2 -> "\n";
      default -> "";
    };
  }
}
