package dev.keyward.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.vault.FileKvStore;
import dev.keyward.vault.MutableClock;
import dev.keyward.vault.Tickers;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenExchangeTest {

  static final int LIMIT = 3;

  @TempDir
  Path dir;

  MutableClock clock;
  AgentRegistry agents;
  RevocationStore revocations;
  TokenExchange exchange;
  FailureLimiter perAgentLimiter;
  String secret;

  @BeforeEach
  void setUp() throws Exception {
    clock = new MutableClock(TokenVerifierTest.T0);
    FileKvStore kv = new FileKvStore(dir, Clock.systemUTC());
    agents = new AgentRegistry(kv);
    revocations = new RevocationStore(kv);
    secret = agents.create("agent-1", "acme", Set.of("research"), "alice", clock.instant()).secret();
    TokenIssuer issuer = new TokenIssuer(SigningKeys.generate(clock.instant()), "kw", clock);
    Revocations live = new Revocations() {
      @Override
      public boolean isTokenRevoked(String jti) {
        return false;
      }

      @Override
      public boolean isAgentDisabled(String agent) {
        try {
          return revocations.load().value().isAgentDisabled(agent);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
    };
    perAgentLimiter = new FailureLimiter(LIMIT, Duration.ofMinutes(1), Tickers.of(clock));
    exchange = new TokenExchange(agents, () -> issuer, live, perAgentLimiter,
        new FailureLimiter(LIMIT * 2, Duration.ofMinutes(1), Tickers.of(clock)));
  }

  TokenExchange.Request request(String id, String presented) {
    return new TokenExchange.Request(id, presented, Optional.empty(), Optional.empty());
  }

  ExchangeError refusal(TokenExchange.Request request, String address) {
    return assertThrows(ExchangeRefusedException.class, () -> exchange.exchange(request, address))
        .error();
  }

  @Test
  void exchangesTheAgentSecretForATokenCarryingTheAgentsClaims() throws Exception {
    IssuedToken issued = exchange.exchange(new TokenExchange.Request("agent-1", secret,
        Optional.of(Duration.ofMinutes(5)), Optional.of(Purpose.SUBAGENT)), "10.0.0.1");
    assertEquals("agent-1", issued.claims().agent());
    assertEquals("acme", issued.claims().tenant());
    assertEquals(Set.of("research"), issued.claims().groups());
    assertEquals(Optional.of(Purpose.SUBAGENT), issued.claims().purpose());
    assertEquals(Duration.ofMinutes(5),
        Duration.between(issued.claims().issuedAt(), issued.claims().expiresAt()));
  }

  @Test
  void aWrongSecretAndAnUnknownAgentGetTheSameAnswer() {
    assertEquals(ExchangeError.INVALID_CLIENT, refusal(request("agent-1", "kwa_wrong"), "10.0.0.1"));
    assertEquals(ExchangeError.INVALID_CLIENT, refusal(request("nobody", secret), "10.0.0.1"));
  }

  @Test
  void afterTooManyFailuresFromOneAddressForAnAgentThatAddressIsRefusedEvenWithTheRightSecret() {
    for (int i = 0; i < LIMIT; i++) {
      refusal(request("agent-1", "kwa_wrong-" + i), "10.0.0.1");
    }
    ExchangeRefusedException e = assertThrows(ExchangeRefusedException.class,
        () -> exchange.exchange(request("agent-1", secret), "10.0.0.1"));
    assertEquals(ExchangeError.TOO_MANY_FAILURES, e.error());
    assertEquals(60, e.retryAfterSeconds());
  }

  /** An attacker who knows an agent's id cannot lock the real agent out by failing on purpose. */
  @Test
  void failuresAimedAtAnAgentFromOtherAddressesDoNotLockTheRealAgentOut() throws Exception {
    for (int i = 0; i < LIMIT * 3; i++) {
      refusal(request("agent-1", "kwa_wrong-" + i), "10.0.0." + i);
    }
    assertEquals("agent-1", exchange.exchange(request("agent-1", secret), "10.9.9.9")
        .claims().agent());
  }

  @Test
  void theRefusalEndsWhenTheWindowHasPassed() throws Exception {
    for (int i = 0; i < LIMIT; i++) {
      refusal(request("agent-1", "kwa_wrong-" + i), "10.0.0.1");
    }
    clock.advance(Duration.ofSeconds(59));
    assertEquals(ExchangeError.TOO_MANY_FAILURES, refusal(request("agent-1", secret), "10.0.0.1"));
    clock.advance(Duration.ofSeconds(2));
    assertEquals("agent-1", exchange.exchange(request("agent-1", secret), "10.0.0.1")
        .claims().agent());
  }

  @Test
  void anInvalidClientIdIsRefusedWithoutBeingCountedAsAnAgent() {
    String huge = "x".repeat(16 * 1024);
    for (String id : List.of(huge, "../etc", "Agent One", "")) {
      assertEquals(ExchangeError.INVALID_CLIENT, refusal(request(id, "kwa_x"), "10.0.0.7"));
    }
    assertEquals(Set.of(), perAgentLimiter.keys(), "an invalid id became a counter key");
  }

  @Test
  void theCounterKeysAreBoundedHashesNotTheIdsAgentsSent() {
    refusal(request("agent-1", "kwa_wrong"), "10.0.0.1");
    assertTrue(perAgentLimiter.keys().stream().noneMatch(key -> key.contains("agent-1")));
    assertTrue(perAgentLimiter.keys().stream().allMatch(key -> key.length() <= 64));
  }

  @Test
  void afterTooManyFailuresFromOneAddressItIsRefusedForEveryAgent() {
    for (int i = 0; i < LIMIT * 2; i++) {
      refusal(request("agent-" + (i + 10), "kwa_wrong"), "10.0.0.1");
    }
    assertEquals(ExchangeError.TOO_MANY_FAILURES, refusal(request("agent-1", secret), "10.0.0.1"));
  }

  @Test
  void aDisabledAgentIsRefusedAfterItProvesItsSecret() throws Exception {
    revocations.setAgentDisabled("agent-1", true, clock.instant());
    assertEquals(ExchangeError.AGENT_DISABLED, refusal(request("agent-1", secret), "10.0.0.1"));
    assertEquals(ExchangeError.INVALID_CLIENT, refusal(request("agent-1", "kwa_wrong"), "10.0.0.1"));
  }

  @Test
  void aLifetimeOverTheMaximumIsRefusedNotClamped() {
    ExchangeRefusedException e = assertThrows(ExchangeRefusedException.class, () -> exchange.exchange(
        new TokenExchange.Request("agent-1", secret, Optional.of(Duration.ofHours(2)),
            Optional.empty()), "10.0.0.1"));
    assertEquals(ExchangeError.TTL_TOO_LONG, e.error());
    assertEquals("ttl_seconds 7200 exceeds the maximum of 3600", e.getMessage());
  }

  @Test
  void theRefusalNeverContainsThePresentedSecret() {
    ExchangeRefusedException e = assertThrows(ExchangeRefusedException.class,
        () -> exchange.exchange(request("agent-1", "kwa_presented-secret"), "10.0.0.1"));
    assertFalse(e.getMessage().contains("presented-secret"));
  }
}
