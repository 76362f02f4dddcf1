package dev.keyward.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ApiTest {

  @Test
  void parsesEveryConfigName() {
    assertEquals(Api.NONE, Api.parse("none"));
    assertEquals(Api.OPENAI, Api.parse("openai"));
    assertEquals(Api.ANTHROPIC, Api.parse("anthropic"));
    assertEquals(Api.GEMINI, Api.parse("gemini"));
  }

  @Test
  void missingValueIsNone() {
    assertEquals(Api.NONE, Api.parse(null));
    assertEquals(Api.NONE, Api.parse(" "));
  }

  @Test
  void upperCaseNameIsRefusedWithTheLowerCaseForm() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Api.parse("OpenAI"));
    assertTrue(e.getMessage().contains("use 'openai'"), e.getMessage());
  }

  @Test
  void unknownNameIsRefusedWithTheAcceptedNames() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Api.parse("bedrock"));
    assertTrue(e.getMessage().contains("none, openai, anthropic, gemini"), e.getMessage());
  }

  @Test
  void classifiesOpenAiEndpointsWithAndWithoutVersionPrefix() {
    assertEquals(Endpoint.CHAT_COMPLETIONS, Api.OPENAI.endpoint("POST", "/chat/completions"));
    assertEquals(Endpoint.CHAT_COMPLETIONS, Api.OPENAI.endpoint("POST", "/v1/chat/completions"));
    assertEquals(Endpoint.CHAT_COMPLETIONS,
        Api.OPENAI.endpoint("POST", "/api/v1/chat/completions"));
    assertEquals(Endpoint.COMPLETIONS, Api.OPENAI.endpoint("POST", "/completions"));
    assertEquals(Endpoint.RESPONSES, Api.OPENAI.endpoint("POST", "/v1/responses"));
    assertEquals(Endpoint.EMBEDDINGS, Api.OPENAI.endpoint("POST", "/embeddings"));
  }

  @Test
  void classifiesAnthropicMessages() {
    assertEquals(Endpoint.MESSAGES, Api.ANTHROPIC.endpoint("POST", "/v1/messages"));
    assertEquals(Endpoint.MESSAGES, Api.ANTHROPIC.endpoint("POST", "/messages?beta=true"));
  }

  @Test
  void classifiesGeminiGenerateAndStreamGenerate() {
    assertEquals(Endpoint.GENERATE_CONTENT,
        Api.GEMINI.endpoint("POST", "/v1beta/models/gemini-2.5-flash:generateContent"));
    assertEquals(Endpoint.STREAM_GENERATE_CONTENT, Api.GEMINI.endpoint("POST",
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"));
  }

  @Test
  void nonMeteredPathsAreOther() {
    assertEquals(Endpoint.OTHER, Api.OPENAI.endpoint("GET", "/models"));
    assertEquals(Endpoint.OTHER, Api.OPENAI.endpoint("POST", "/files"));
    assertEquals(Endpoint.OTHER, Api.OPENAI.endpoint("POST", "/v1/responses/resp_1/cancel"));
    assertEquals(Endpoint.OTHER, Api.ANTHROPIC.endpoint("POST", "/v1/messages/count_tokens"));
    assertEquals(Endpoint.OTHER, Api.ANTHROPIC.endpoint("POST", "/v1/messages/batches"));
    assertEquals(Endpoint.OTHER,
        Api.GEMINI.endpoint("POST", "/v1beta/models/gemini-2.5-flash:countTokens"));
    assertEquals(Endpoint.OTHER, Api.GEMINI.endpoint("GET", "/v1beta/models"));
  }

  @Test
  void readingAStoredCompletionIsNotMetered() {
    assertEquals(Endpoint.OTHER, Api.OPENAI.endpoint("GET", "/v1/chat/completions"));
  }

  @Test
  void noneMetersNothing() {
    assertEquals(Endpoint.OTHER, Api.NONE.endpoint("POST", "/v1/chat/completions"));
  }

  @Test
  void spellingsAnUpstreamMayStillAcceptAreMetered() {
    assertEquals(Endpoint.CHAT_COMPLETIONS, Api.OPENAI.endpoint("POST", "/v1//chat/completions/"));
    assertEquals(Endpoint.CHAT_COMPLETIONS, Api.OPENAI.endpoint("post", "/v1/Chat/Completions"));
  }

  @Test
  void queryDoesNotChangeTheEndpoint() {
    assertEquals(Endpoint.OTHER, Api.OPENAI.endpoint("POST", "/models?x=/chat/completions"));
  }
}
