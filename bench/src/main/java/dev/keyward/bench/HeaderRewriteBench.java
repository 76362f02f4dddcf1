package dev.keyward.bench;

import dev.keyward.policies.Target;
import dev.keyward.proxy.forward.HeaderHygiene;
import dev.keyward.proxy.stage.UnsealAndInject;
import dev.keyward.vault.Injection;
import dev.keyward.vault.Secret;
import io.vertx.core.MultiMap;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Stage 5 on the headers an OpenAI SDK sends: hop-by-hop, the agent's token and network headers
 * out, the key in (Bearer, or Anthropic's x-api-key with its fixed version header), the response
 * redactor built, the plaintext zeroed.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HeaderRewriteBench {

  private static final byte[] KEY =
      ("sk-or-v1-" + "0123456789abcdef".repeat(4)).getBytes(StandardCharsets.US_ASCII);

  private final HeaderHygiene hygiene = new HeaderHygiene(false);
  private final Target target =
      new Target("https", "openrouter.ai", 443, "/api/v1/chat/completions", null);
  private final Injection anthropic = Injection.forProvider("anthropic");
  private MultiMap agentHeaders;

  @Setup
  public void setUp() {
    agentHeaders = MultiMap.caseInsensitiveMultiMap()
        .add("Host", "keyward.internal:8080")
        .add("Authorization", "Bearer eyJhbGciOiJFUzI1NiIsImtpZCI6Ik" + "x".repeat(560))
        .add("Content-Type", "application/json")
        .add("Content-Length", "87")
        .add("Accept", "application/json")
        .add("User-Agent", "OpenAI/Python 1.54.0")
        .add("X-Stainless-Lang", "python")
        .add("X-Stainless-Package-Version", "1.54.0")
        .add("X-Stainless-Runtime", "CPython")
        .add("Connection", "keep-alive")
        .add("X-Forwarded-For", "10.0.0.7");
  }

  @Benchmark
  public UnsealAndInject.Injected bearer() {
    return UnsealAndInject.inject(hygiene, agentHeaders, target, Injection.bearer(),
        Secret.copyOf(KEY), "kw-0123456789abcdef0123456789abcdef");
  }

  @Benchmark
  public UnsealAndInject.Injected anthropicApiKey() {
    return UnsealAndInject.inject(hygiene, agentHeaders, target, anthropic, Secret.copyOf(KEY),
        "kw-0123456789abcdef0123456789abcdef");
  }
}
