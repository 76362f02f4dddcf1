package dev.keyward.proxy.clients;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.Keyward;
import dev.keyward.proxy.dev.FakeProvider;
import dev.keyward.proxy.testing.AuditCapture;
import dev.keyward.proxy.testing.NodeClients;
import dev.keyward.proxy.testing.RecordingUpstream;
import dev.keyward.proxy.testing.Secrets;
import dev.keyward.proxy.testing.TestInstallation;
import dev.keyward.vault.Injection;
import dev.keyward.vault.Secret;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Routes with targets driven by the official OpenAI and Anthropic Node SDKs: a failed first target
 * is invisible to the SDK, and a stream the upstream breaks after it started reaches the SDK as
 * an error it raises, never as a complete answer, and is not retried.
 *
 * <p>Skipped without Node.js (see {@link NodeClients}); CI sets {@code KEYWARD_REQUIRE_NODE=1}.
 */
class TargetsSdkEndToEndTest {

  static final String KEY_ONE = "sk-proj-targets-one-1a2b3c4d5e6f7a8b9c0d";
  static final String KEY_TWO = "sk-proj-targets-two-9f8e7d6c5b4a3f2e1d0c";

  @TempDir
  static Path dir;

  static NodeClients node;
  static Vertx vertx;
  static RecordingUpstream first;
  static FakeProvider backup;
  static TestInstallation installation;
  static Keyward keyward;
  static String token;

  @BeforeAll
  static void start() throws Exception {
    node = NodeClients.require();
    Secrets.register(KEY_ONE);
    Secrets.register(KEY_TWO);
    vertx = Vertx.vertx();
    first = RecordingUpstream.http(vertx);
    backup = FakeProvider.startAndWait(vertx,
        Secret.copyOf(KEY_TWO.getBytes(StandardCharsets.US_ASCII)));
    installation = new TestInstallation(dir).policy("""
        credentials:
          - id: one
            allowed_domains: ["127.0.0.1"]
            allowed_ports: [%1$d]
            allow_insecure_http: true
            allow_addresses: ["127.0.0.1/32"]
          - id: two
            allowed_domains: ["127.0.0.1"]
            allowed_ports: [%2$d]
            allow_insecure_http: true
            allow_addresses: ["127.0.0.1/32"]
        routes:
          - name: chat
            api: openai
            targets:
              - {name: first, credential: one, upstream: "http://127.0.0.1:%1$d/v1"}
              - {name: backup, credential: two, upstream: "http://127.0.0.1:%2$d/v1"}
          - name: claude
            api: anthropic
            targets:
              - {name: first, credential: one, upstream: "http://127.0.0.1:%1$d"}
              - {name: backup, credential: two, upstream: "http://127.0.0.1:%2$d"}
        grants:
          - tenants: [acme]
            credentials: [one, two]
        """.formatted(first.port(), backup.port()));
    installation.putCredential("acme", "one", KEY_ONE, List.of("127.0.0.1"), Injection.bearer());
    installation.putCredential("acme", "two", KEY_TWO, List.of("127.0.0.1"),
        Injection.forProvider("anthropic"));
    keyward = installation.start();
    token = installation.token("sdk-agent", "acme").token();
  }

  @AfterAll
  static void stop() throws Exception {
    if (keyward == null) {
      return;
    }
    try {
      keyward.close();
      assertEquals(List.of(), Secrets.foundIn(new AuditCapture(dir).rawText()));
    } finally {
      first.close();
      backup.close();
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
  }

  @BeforeEach
  void forget() {
    first.received().clear();
    backup.forgetReceived();
  }

  NodeClients.Run sdk(String script, String scenario, String route) throws Exception {
    NodeClients.Run run = node.run(script, scenario, Map.of("KEYWARD_BASE_URL",
        "http://127.0.0.1:" + keyward.port() + "/r/" + route, "KEYWARD_TOKEN", token,
        "KEYWARD_MESSAGE", "Tell me a story"));
    assertEquals(List.of(), Secrets.foundIn(run.everything()), "a secret in the SDK's output");
    assertEquals(0, run.exit(), run.describe());
    assertNotNull(run.result(), run.describe());
    return run;
  }

  /** Streams {@code whole}, then half of {@code cut}, then drops the connection. */
  static void breakAfter(String whole, String cut) {
    first.respondWith(request -> {
      HttpServerResponse out = request.response().setChunked(true)
          .putHeader("Content-Type", "text/event-stream");
      out.write(whole + cut.substring(0, cut.length() / 2))
          .onComplete(v -> request.connection().close());
    });
  }

  @Test
  void theOpenAiSdkGetsTheBackupsAnswerWhenTheFirstTargetIsOverloaded() throws Exception {
    first.respondWith(request -> request.response().setStatusCode(529).end("overloaded"));

    NodeClients.Run run = sdk("openai-client.mjs", "chat", "chat");

    assertTrue(run.result().getBoolean("ok"), run.describe());
    assertEquals("You said: Tell me a story", run.result().getString("content"));
    assertEquals(1, first.received().size());
    assertEquals(1, backup.received().size());
  }

  @Test
  void aStreamBrokenMidAnswerIsAnErrorTheOpenAiSdkRaisesAndIsNotRetried() throws Exception {
    String event = "data: {\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\","
        + "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
        + "\"Once upon a time \"},\"finish_reason\":null}]}\n\n";
    breakAfter(event + event, event);

    NodeClients.Run run = sdk("openai-client.mjs", "chat-stream", "chat");

    assertFalse(run.result().getBoolean("ok"), "a broken stream read as complete: "
        + run.describe());
    JsonObject error = run.result().getJsonObject("error");
    assertEquals("upstream_reset", error.getString("code"), run.describe());
    assertTrue(error.getString("message").contains("broke off the answer"), run.describe());
    assertTrue(backup.received().isEmpty(), "nothing is retried once the answer started");
  }

  @Test
  void aStreamBrokenMidAnswerIsAnErrorTheAnthropicSdkRaises() throws Exception {
    String delta = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\","
        + "\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Once upon a time \"}}\n\n";
    breakAfter("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":"
        + "\"msg_01\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":"
        + "\"claude-haiku-4-5\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":"
        + "{\"input_tokens\":12,\"output_tokens\":1}}}\n\n"
        + "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
        + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n" + delta + delta, delta);

    NodeClients.Run run = sdk("anthropic-client.mjs", "messages-stream", "claude");

    assertFalse(run.result().getBoolean("ok"), "a broken stream read as complete: "
        + run.describe());
    assertTrue(run.result().getJsonObject("error").getString("message")
        .contains("upstream_reset"), run.describe());
    assertTrue(backup.received().isEmpty());
  }
}
