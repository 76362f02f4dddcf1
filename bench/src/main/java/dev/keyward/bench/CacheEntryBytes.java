package dev.keyward.bench;

import dev.keyward.token.SigningKeys;
import dev.keyward.token.TokenIssuer;
import dev.keyward.token.TokenRequest;
import dev.keyward.token.TokenVerifier;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * The verified-token cache's heap per entry, and whether its heap stays flat while agents rotate
 * their tokens: {@code rounds} times, {@code agents} agents each get a new token living {@code
 * ttl} seconds that is verified (and so cached) at once; with a TTL shorter than a round, the
 * previous round's tokens have expired by the next. Prints the live heap (after a full GC) above
 * the starting point after each round. Not a JMH benchmark: {@code java -cp
 * bench/target/keyward-bench.jar dev.keyward.bench.CacheEntryBytes [agents] [rounds] [ttl]}.
 */
public final class CacheEntryBytes {

  private CacheEntryBytes() {}

  public static void main(String[] args) throws Exception {
    int agents = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    Duration ttl = Duration.ofSeconds(args.length > 2 ? Long.parseLong(args[2]) : 5);
    SigningKeys keys = SigningKeys.generate(Instant.now());
    TokenIssuer issuer = new TokenIssuer(keys, "bench", Clock.systemUTC());
    TokenVerifier verifier = TokenVerifier.builder().keys(keys.publicKeys()).issuer("bench")
        .build();
    long baseline = live();
    for (int round = 1; round <= rounds; round++) {
      long started = System.nanoTime();
      for (int i = 0; i < agents; i++) {
        verifier.verify(issuer.issue(new TokenRequest("agent-" + i, "acme", Set.of(),
            Optional.empty(), ttl)).token());
      }
      long cached = verifier.cachedTokens();
      long growth = live() - baseline;
      System.out.printf("round %d (%d s): %d cached, live heap +%d KiB, %d bytes per cached"
              + " token%n", round, Duration.ofNanos(System.nanoTime() - started).toSeconds(),
          cached, growth / 1024, cached == 0 ? 0 : growth / cached);
    }
  }

  private static long live() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
