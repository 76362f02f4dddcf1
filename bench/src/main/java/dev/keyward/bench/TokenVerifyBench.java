package dev.keyward.bench;

import dev.keyward.token.PlatformToken;
import dev.keyward.token.SigningKeys;
import dev.keyward.token.TokenIssuer;
import dev.keyward.token.TokenRejectedException;
import dev.keyward.token.TokenRequest;
import dev.keyward.token.TokenVerifier;
import java.time.Clock;
import java.time.Instant;
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
 * Platform-token verification per request. {@code cold}: a token not seen before (parse, claim
 * checks, ES256 signature check). {@code cached}: the same token again (SHA-256 of the token and a
 * cache lookup, plus the revocation checks every request pays).
 *
 * <p>What the event loop pays since Authenticate checks new tokens off the loop: {@code
 * cachedOnTheLoop} for a cached token ({@code verifyCached}), {@code newOnTheLoop} for a new one
 * (a cache miss and the cheap checks; its {@code cold} part runs on a worker thread).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TokenVerifyBench {

  private static final int DISTINCT_TOKENS = 4096;

  private String[] tokens;
  private String token;
  private TokenVerifier coldVerifier;
  private TokenVerifier cachedVerifier;
  private int next;

  @Setup
  public void setUp() throws Exception {
    SigningKeys keys = SigningKeys.generate(Instant.now());
    TokenIssuer issuer = new TokenIssuer(keys, "bench", Clock.systemUTC());
    tokens = new String[DISTINCT_TOKENS];
    for (int i = 0; i < DISTINCT_TOKENS; i++) {
      tokens[i] = issuer.issue(TokenRequest.of("agent-" + i, "acme")).token();
    }
    token = tokens[0];
    // A one-entry cache cycling through 4096 tokens: every call is a full verification.
    coldVerifier = TokenVerifier.builder().keys(keys.publicKeys()).issuer("bench").cacheSize(1).build();
    cachedVerifier = TokenVerifier.builder().keys(keys.publicKeys()).issuer("bench").build();
    cachedVerifier.verify(token);
  }

  @Benchmark
  public PlatformToken cold() throws TokenRejectedException {
    next = (next + 1) & (DISTINCT_TOKENS - 1);
    return coldVerifier.verify(tokens[next]);
  }

  @Benchmark
  public PlatformToken cached() throws TokenRejectedException {
    return cachedVerifier.verify(token);
  }

  @Benchmark
  public PlatformToken cachedOnTheLoop() throws TokenRejectedException {
    return cachedVerifier.verifyCached(token);
  }

  @Benchmark
  public PlatformToken newOnTheLoop() throws TokenRejectedException {
    next = (next + 1) & (DISTINCT_TOKENS - 1);
    PlatformToken cached = coldVerifier.verifyCached(tokens[next]);
    if (cached == null) {
      coldVerifier.precheck(tokens[next]);
    }
    return cached;
  }
}
