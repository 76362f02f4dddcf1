package dev.keyward.proxy.console;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.keyward.proxy.Keyward;
import dev.keyward.proxy.dev.FakeProvider;
import dev.keyward.proxy.testing.Agent;
import dev.keyward.proxy.testing.RecordingUpstream;
import dev.keyward.proxy.testing.Secrets;
import dev.keyward.proxy.testing.TestInstallation;
import dev.keyward.token.Purpose;
import dev.keyward.token.Role;
import dev.keyward.vault.Injection;
import dev.keyward.vault.Secret;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * A Keyward for the console's tests: an LLM route to the fake provider ({@code openai}, with a
 * heartbeat tier), a plain route {@code fresh} to a recording upstream whose credential the
 * policy names but the store does not hold yet (a test adds it in the console), two budgets
 * (tenant acme's money, and each acme agent's money and requests a minute; tenant beta has no
 * money limit), registered agents, and operator and auditor tokens.
 */
final class ConsoleFixture implements AutoCloseable {

  static final String KEY = "sk-console-fake-0123456789abcdef0123";
  static final String OPERATOR = "olivia";
  static final String AUDITOR = "arthur";

  final Vertx vertx = Vertx.vertx();
  final FakeProvider provider;
  final RecordingUpstream upstream;
  final TestInstallation installation;
  final Keyward keyward;
  final Agent agent;
  final String operatorToken;
  final String auditorToken;
  final boolean tls;

  ConsoleFixture(Path dir) throws Exception {
    this(dir, "");
  }

  /** @param config extra configuration blocks, e.g. an {@code admin:} block with TLS */
  ConsoleFixture(Path dir, String config) throws Exception {
    Secrets.register(KEY);
    provider = FakeProvider.startAndWait(vertx,
        Secret.copyOf(KEY.getBytes(StandardCharsets.US_ASCII)));
    upstream = RecordingUpstream.http(vertx);
    installation = new TestInstallation(dir).policy("""
        credentials:
          - id: fake
            allowed_domains: ["127.0.0.1"]
            allowed_ports: [%1$d]
            allow_insecure_http: true
            allow_addresses: ["127.0.0.1/32"]
          - id: fresh
            allowed_domains: ["127.0.0.1"]
            allowed_ports: [%2$d]
            allow_insecure_http: true
            allow_addresses: ["127.0.0.1/32"]
        routes:
          - name: openai
            upstream: http://127.0.0.1:%1$d/v1
            credential: fake
            api: openai
            tiers: {heartbeat: gpt-5-nano}
          - name: fresh
            upstream: http://127.0.0.1:%2$d/v1
            credential: fresh
        grants:
          - name: acme-all
            tenants: [acme]
            credentials: [fake, fresh]
          - name: beta-fake
            tenants: [beta]
            credentials: [fake]
        budgets:
          - name: acme-monthly
            scope: tenant
            tenants: [acme]
            usd: 5.00
            period: monthly
          - name: per-agent
            scope: agent
            tenants: [acme]
            # A money window too: a rate alone has counters only in the current minute, and a
            # slow run crosses into the next one before the usage page is read.
            usd: 1.00
            period: monthly
            requests_per_minute: 100
        """.formatted(provider.port(), upstream.port()))
        .config("""
            pricing:
              models:
                gpt-5-mini: {input: 0.25, output: 2.00}
                gpt-5-nano: {input: 0.05, output: 0.40}
            """);
    if (!config.isEmpty()) {
      installation.config(config);
    }
    installation.putCredential("acme", "fake", KEY, List.of("127.0.0.1"), Injection.bearer());
    installation.putCredential("beta", "fake", KEY, List.of("127.0.0.1"), Injection.bearer());
    for (String id : List.of("support-bot", "nightly-eval")) {
      Secrets.register(installation.agents().create(id, "acme", Set.of(), "test",
          Instant.now()).secret());
    }
    tls = config.contains("tls_cert");
    keyward = installation.start();
    agent = new Agent(keyward.port());
    operatorToken = installation.operatorToken(OPERATOR, Role.OPERATOR).token();
    auditorToken = installation.operatorToken(AUDITOR, Role.AUDITOR).token();
  }

  String consoleUrl(String path) {
    return origin() + "/console" + path;
  }

  /** The admin listener's origin, as a browser names it. */
  String origin() {
    return (tls ? "https" : "http") + "://127.0.0.1:" + keyward.adminPort();
  }

  /** An LLM call by {@code agentId} of tenant acme, with a token of {@code purpose} if any. */
  HttpResponse<String> chat(String agentId, String model, Purpose purpose, String message)
      throws Exception {
    String token = purpose == null ? installation.token(agentId, "acme").token()
        : installation.token(agentId, "acme", purpose).token();
    return agent.post("/r/openai/chat/completions", token, new JsonObject()
        .put("model", model)
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user")
            .put("content", message))).encode());
  }

  /** Some traffic to look at: calls by two agents, a heartbeat, and a refused call. */
  void traffic() throws Exception {
    assertEquals(200, chat("support-bot", "gpt-5-mini", null, "Hello there").statusCode());
    assertEquals(200, chat("support-bot", "gpt-5-mini", Purpose.CONVERSATION,
        "Summarise the ticket").statusCode());
    assertEquals(200, chat("nightly-eval", "gpt-5-mini", Purpose.HEARTBEAT, "ping")
        .statusCode());
    assertEquals(401, agent.post("/r/openai/chat/completions", "not-a-token", "{}")
        .statusCode());
  }

  @Override
  public void close() throws Exception {
    keyward.close();
    provider.close();
    upstream.close();
    vertx.close().toCompletionStage().toCompletableFuture().get();
  }
}
