package dev.keyward.proxy.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.keyward.proxy.Keyward;
import dev.keyward.proxy.testing.Agent;
import dev.keyward.proxy.testing.RecordingUpstream;
import dev.keyward.proxy.testing.Secrets;
import dev.keyward.proxy.testing.TestInstallation;
import dev.keyward.token.Role;
import dev.keyward.vault.Injection;
import dev.keyward.vault.MutableClock;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each strategy choosing as docs/llm.md says, through the real proxy. The upstreams answer after
 * moving the test's clock by their own latency (100 ms, or 3 s once made slow), so the latency
 * Keyward measures is exactly that, whatever the machine's load.
 */
class StrategyEndToEndTest {

  static final String KEY = "sk-strategy-0123456789abcdef012345678";

  @TempDir
  Path dir;

  final MutableClock clock = new MutableClock(Instant.now());
  Vertx vertx;
  RecordingUpstream a;
  RecordingUpstream b;
  volatile Duration latencyOfA = Duration.ofMillis(100);
  TestInstallation installation;
  Keyward keyward;
  Agent agent;
  String token;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    Secrets.register(KEY);
    a = RecordingUpstream.http(vertx).respondWith(answerAfter(() -> latencyOfA));
    b = RecordingUpstream.http(vertx).respondWith(answerAfter(() -> Duration.ofMillis(100)));
    installation = new TestInstallation(dir).policy("""
        credentials:
          - id: key
            allowed_domains: ["127.0.0.1"]
            allowed_ports: [%1$d, %2$d]
            allow_insecure_http: true
            allow_addresses: ["127.0.0.1/32"]
        routes:
          - name: ordered
            api: openai
            targets:
              - {name: a, credential: key, upstream: "http://127.0.0.1:%1$d/v1"}
              - {name: b, credential: key, upstream: "http://127.0.0.1:%2$d/v1"}
          - name: spread
            api: openai
            strategy: weighted
            targets:
              - {name: a, credential: key, upstream: "http://127.0.0.1:%1$d/v1", weight: 3}
              - {name: b, credential: key, upstream: "http://127.0.0.1:%2$d/v1", weight: 1}
          - name: cheapest
            api: openai
            strategy: score
            preset: economy
            targets:
              - {name: a, credential: key, upstream: "http://127.0.0.1:%1$d/v1", model: gpt-5}
              - {name: b, credential: key, upstream: "http://127.0.0.1:%2$d/v1", model: gpt-5-nano}
          - name: best
            api: openai
            strategy: score
            preset: quality
            targets:
              - {name: b, credential: key, upstream: "http://127.0.0.1:%2$d/v1", model: gpt-5-nano}
              - {name: a, credential: key, upstream: "http://127.0.0.1:%1$d/v1", model: gpt-5}
          - name: custom
            api: openai
            strategy: score
            weights: {cost: 1, quality: 0, latency: 0}
            targets:
              - {name: a, credential: key, upstream: "http://127.0.0.1:%1$d/v1", model: gpt-5}
              - {name: b, credential: key, upstream: "http://127.0.0.1:%2$d/v1", model: gpt-5-nano}
          - name: fastest
            api: openai
            strategy: score
            preset: fast
            targets:
              - {name: a, credential: key, upstream: "http://127.0.0.1:%1$d/v1"}
              - {name: b, credential: key, upstream: "http://127.0.0.1:%2$d/v1"}
        grants:
          - tenants: [acme]
            credentials: [key]
        """.formatted(a.port(), b.port()))
        .config("""
            pricing:
              models:
                gpt-5: {input: 1.25, output: 10.00}
                gpt-5-mini: {input: 0.25, output: 2.00}
                gpt-5-nano: {input: 0.05, output: 0.40}
            routing:
              quality: {gpt-5: 0.9, gpt-5-mini: 0.6, gpt-5-nano: 0.3}
            """);
    installation.putCredential("acme", "key", KEY, List.of("127.0.0.1"), Injection.bearer());
    keyward = installation.start(clock);
    agent = new Agent(keyward.port());
    token = installation.token("agent-1", "acme").token();
  }

  @AfterEach
  void stop() throws Exception {
    keyward.close();
    a.close();
    b.close();
    vertx.close();
  }

  /** Answers a chat completion as if it took {@code latency}: the test's clock moves by it. */
  Handler<HttpServerRequest> answerAfter(java.util.function.Supplier<Duration> latency) {
    return request -> {
      clock.advance(latency.get());
      String model = new JsonObject(received(request)).getString("model");
      request.response().putHeader("Content-Type", "application/json").end(new JsonObject()
          .put("id", "chatcmpl-1").put("object", "chat.completion").put("model", model)
          .put("choices", new JsonArray().add(new JsonObject().put("index", 0)
              .put("message", new JsonObject().put("role", "assistant").put("content", "hi"))
              .put("finish_reason", "stop")))
          .put("usage", new JsonObject().put("prompt_tokens", 5).put("completion_tokens", 1)
              .put("total_tokens", 6)).encode());
    };
  }

  /** The body the upstream just recorded for {@code request}. */
  String received(HttpServerRequest request) {
    RecordingUpstream upstream = request.localAddress().port() == a.port() ? a : b;
    List<RecordingUpstream.Received> all = upstream.received();
    return all.get(all.size() - 1).body().toString();
  }

  String call(String route) throws Exception {
    HttpResponse<String> response = agent.post("/r/" + route + "/chat/completions", token,
        new JsonObject().put("model", "gpt-5-mini").put("messages", new JsonArray()
            .add(new JsonObject().put("role", "user").put("content", "Say hi"))).encode());
    assertEquals(200, response.statusCode(), response.body());
    return response.headers().firstValue("x-keyward-target").orElseThrow();
  }

  List<String> calls(String route, int count) throws Exception {
    List<String> served = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      served.add(call(route));
    }
    return served;
  }

  double firstByteMillis(String route, String target) throws Exception {
    String operator = installation.operatorToken("auditor", Role.AUDITOR).token();
    JsonArray targets = new JsonArray(new Agent(keyward.adminPort())
        .get("/v1/targets", operator).body());
    for (int i = 0; i < targets.size(); i++) {
      JsonObject t = targets.getJsonObject(i);
      if (t.getString("route").equals(route) && t.getString("target").equals(target)) {
        return t.getDouble("first_byte_ms");
      }
    }
    throw new AssertionError(route + "/" + target + " not in " + targets);
  }

  @Test
  void fallbackAlwaysTriesTheTargetsInTheRoutesOrder() throws Exception {
    assertEquals(List.of("a", "a", "a"), calls("ordered", 3));
    assertEquals(0, b.received().size());
  }

  @Test
  void weightedPicksFirstTargetsInProportionToTheirWeights() throws Exception {
    assertEquals(List.of("a", "a", "b", "a", "a", "a", "b", "a"), calls("spread", 8));
  }

  @Test
  void scoreWithTheEconomyPresetPrefersTheCheaperModel() throws Exception {
    assertEquals("b", call("cheapest"));
    assertEquals("gpt-5-nano", new JsonObject(b.only().body().toString()).getString("model"));
  }

  @Test
  void scoreWithTheQualityPresetPrefersTheBetterModel() throws Exception {
    assertEquals("a", call("best"));
    assertEquals("gpt-5", new JsonObject(a.only().body().toString()).getString("model"));
  }

  @Test
  void scoreWithCustomWeightsUsesOnlyWhatTheyWeigh() throws Exception {
    assertEquals(List.of("b", "b"), calls("custom", 2));
  }

  @Test
  void scoreWithTheFastPresetTriesColdTargetsThenMovesAwayFromOneMadeSlow() throws Exception {
    // Both cold: a tie, which the route's order decides; then b, still cold, counts as fastest.
    assertEquals(List.of("a", "b"), calls("fastest", 2));
    // Both measured at 100 ms: a tie again.
    latencyOfA = Duration.ofSeconds(3);
    assertEquals("a", call("fastest"));
    // a's average moved 30% of the way to 3000 ms: 970 ms. b, at 100 ms, now goes first.
    assertEquals(970.0, firstByteMillis("fastest", "a"), 1e-6);
    assertEquals(100.0, firstByteMillis("fastest", "b"), 1e-6);
    assertEquals(List.of("b", "b"), calls("fastest", 2));
  }
}
