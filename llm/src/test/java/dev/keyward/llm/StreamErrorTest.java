package dev.keyward.llm;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StreamErrorTest {

  private static final String MESSAGE = "budget 'cap' for agent:acme/a1: \"stopped\"\nhere";

  /** The one event of {@code bytes}, as an SSE reader sees it. */
  private static SseEvent only(byte[] bytes) {
    List<SseEvent> events = new ArrayList<>();
    SseReader reader = new SseReader(1 << 20, events::add);
    reader.feed(bytes);
    reader.end();
    assertEquals(1, events.size(), new String(bytes, UTF_8));
    return events.get(0);
  }

  private static JsonNode data(SseEvent event) throws Exception {
    return Json.LENIENT.readTree(event.data());
  }

  @Test
  void openAiGetsADataEventWithAnErrorObject() throws Exception {
    SseEvent event = only(StreamError.event(Api.OPENAI, "budget_exceeded", 429, MESSAGE));
    JsonNode error = data(event).get("error");
    assertEquals("budget_exceeded", error.get("code").asText());
    assertEquals("budget_exceeded", error.get("type").asText());
    assertEquals(MESSAGE, error.get("message").asText());
  }

  @Test
  void anthropicGetsAnErrorEvent() throws Exception {
    SseEvent event = only(StreamError.event(Api.ANTHROPIC, "budget_exceeded", 429, MESSAGE));
    assertEquals("error", event.type());
    assertEquals("error", data(event).get("type").asText());
    assertEquals("budget_exceeded", data(event).get("error").get("type").asText());
    assertEquals(MESSAGE, data(event).get("error").get("message").asText());
  }

  @Test
  void geminiGetsAGoogleErrorObject() throws Exception {
    SseEvent event = only(StreamError.event(Api.GEMINI, "budget_exceeded", 429, MESSAGE));
    JsonNode error = data(event).get("error");
    assertEquals(429, error.get("code").asInt());
    assertEquals("RESOURCE_EXHAUSTED", error.get("status").asText());
    assertEquals(MESSAGE, error.get("message").asText());
  }
}
