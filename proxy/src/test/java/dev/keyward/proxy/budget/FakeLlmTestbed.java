package dev.keyward.proxy.budget;

import dev.keyward.proxy.dev.FakeProvider;
import dev.keyward.proxy.testing.Secrets;
import dev.keyward.proxy.testing.TestInstallation;
import dev.keyward.vault.Injection;
import dev.keyward.vault.Secret;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The fake provider and a Keyward installation in front of it, for budget tests: credential
 * {@code fake} (the provider's key, stored for each tenant), route {@code openai} to the provider,
 * a grant of it to those tenants, prices, and the budgets (and more routes) a test adds.
 */
final class FakeLlmTestbed implements AutoCloseable {

  static final String KEY = "sk-budget-testbed-0123456789abcdef01";

  final Vertx vertx = Vertx.vertx();
  final FakeProvider provider;

  FakeLlmTestbed() throws Exception {
    Secrets.register(KEY);
    provider = FakeProvider.startAndWait(vertx,
        Secret.copyOf(KEY.getBytes(StandardCharsets.US_ASCII)));
  }

  /**
   * An installation in {@code dir} with {@link #policy} and the prices of gpt-5-mini, the key
   * stored for each tenant.
   *
   * @param config top-level keyward.yaml blocks besides the prices ({@code budgets:}), or ""
   */
  TestInstallation installation(Path dir, List<String> tenants, String rest, String config,
      int... otherPorts) throws Exception {
    TestInstallation installation = new TestInstallation(dir)
        .policy(policy(tenants, rest, otherPorts))
        .config("""
            pricing:
              models:
                gpt-5-mini: {input: 0.25, output: 2.00, cached_input: 0.025}
            """ + config);
    for (String tenant : tenants) {
      installation.putCredential(tenant, "fake", KEY, List.of("127.0.0.1"), Injection.bearer());
    }
    return installation;
  }

  /**
   * The testbed's policy, then {@code rest}: more routes (items of {@code routes:}, which comes
   * last), then top-level blocks such as {@code budgets:}. {@code otherPorts} are more upstream
   * ports the credential may reach.
   */
  String policy(List<String> tenants, String rest, int... otherPorts) {
    String ports = IntStream.concat(IntStream.of(provider.port()), Arrays.stream(otherPorts))
        .mapToObj(Integer::toString).collect(Collectors.joining(", "));
    return """
        credentials:
          - id: fake
            allowed_domains: ["127.0.0.1"]
            allowed_ports: [%s]
            allow_insecure_http: true
            allow_addresses: ["127.0.0.1/32"]
        grants:
          - tenants: [%s]
            credentials: [fake]
        routes:
          - name: openai
            upstream: http://127.0.0.1:%d/v1
            credential: fake
            api: openai
        """.formatted(ports, String.join(", ", tenants), provider.port()) + rest;
  }

  /** A route to the fake provider, as an item of {@code routes:}, with more fields if given. */
  String route(String name, String fields) {
    return """
          - name: %s
            upstream: http://127.0.0.1:%d/v1
            credential: fake
            api: openai
        """.formatted(name, provider.port()) + fields;
  }

  /** An OpenAI chat completion body asking {@code model} about {@code text}. */
  static String chat(String model, boolean stream, String text) {
    return new JsonObject().put("model", model).put("stream", stream)
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user")
            .put("content", text))).encode();
  }

  @Override
  public void close() throws Exception {
    provider.close();
    vertx.close().toCompletionStage().toCompletableFuture().get();
  }
}
