package dev.keyward.proxy.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.keyward.proxy.testing.ProxyHarness;
import dev.keyward.proxy.testing.RecordingUpstream;
import dev.keyward.vault.Injection;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each way a provider takes its key, checked on exactly what the upstream received. */
class InjectionFormatsTest {

  static final String KEY = ProxyHarness.KEY;

  @TempDir
  Path dir;

  /** An OpenAI-style SDK: the platform token as a Bearer header. */
  RecordingUpstream.Received send(Injection injection, String path) throws Exception {
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options().injection(injection))) {
      return post(proxy, proxy.agent().request(path)
          .header("Authorization", "Bearer " + proxy.token()));
    }
  }

  /** An Anthropic-style SDK: the platform token in x-api-key, with its own version header. */
  RecordingUpstream.Received sendLikeAnthropicSdk(Injection injection, String path)
      throws Exception {
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options().injection(injection))) {
      return post(proxy, proxy.agent().request(path).header("x-api-key", proxy.token())
          .header("anthropic-version", "1999-01-01"));
    }
  }

  static RecordingUpstream.Received post(ProxyHarness proxy, HttpRequest.Builder request)
      throws Exception {
    assertEquals(200, proxy.agent().send(request.POST(HttpRequest.BodyPublishers.ofString("{}")))
        .statusCode());
    return proxy.upstream().only();
  }

  @Test
  void bearerIsTheDefault() throws Exception {
    RecordingUpstream.Received received = send(Injection.bearer(), "/r/local/chat");
    assertEquals("Bearer " + KEY, received.headers().get("Authorization"));
    assertEquals(1, received.headers().getAll("Authorization").size());
  }

  @Test
  void anthropicGetsXApiKeyAndTheFixedVersionHeaderFromAnSdkThatSentItsTokenThere()
      throws Exception {
    RecordingUpstream.Received received =
        sendLikeAnthropicSdk(Injection.forProvider("anthropic"), "/r/local/messages");
    assertEquals(KEY, received.headers().get("x-api-key"));
    assertEquals(1, received.headers().getAll("x-api-key").size());
    assertEquals("2023-06-01", received.headers().get("anthropic-version"));
    assertNull(received.headers().get("Authorization"));
  }

  @Test
  void googleGetsXGoogApiKey() throws Exception {
    RecordingUpstream.Received received =
        send(Injection.forProvider("google"), "/r/local/models");
    assertEquals(KEY, received.headers().get("x-goog-api-key"));
    assertNull(received.headers().get("Authorization"));
  }

  @Test
  void anyHeaderWithATemplate() throws Exception {
    RecordingUpstream.Received received =
        send(Injection.header("X-Api-Token", "Token {secret}"), "/r/local/chat");
    assertEquals("Token " + KEY, received.headers().get("X-Api-Token"));
    assertNull(received.headers().get("Authorization"));
  }

  @Test
  void aQueryParameterReplacesOneTheAgentSent() throws Exception {
    RecordingUpstream.Received received =
        send(Injection.query("key"), "/r/local/models?key=agent-chosen&alt=json");
    assertEquals("/v1/models?alt=json&key=" + KEY, received.uri());
    assertFalse(received.uri().contains("agent-chosen"));
    assertNull(received.headers().get("Authorization"));
  }
}
