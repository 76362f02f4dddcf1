package dev.keyward.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.vault.MutableClock;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TokenIssuerTest {

  @Test
  void refusesALifetimeOverTheMaximumWithAClearMessage() throws Exception {
    TokenIssuer issuer = new TokenIssuer(SigningKeys.generate(TokenVerifierTest.T0), "kw",
        new MutableClock(TokenVerifierTest.T0));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> issuer.issue(new TokenRequest("a", "t", Set.of(), Optional.empty(), Duration.ofHours(2))));
    assertTrue(e.getMessage().contains("exceeds the maximum of 3600s"), e.getMessage());
  }

  @Test
  void everyTokenGetsItsOwnJti() throws Exception {
    TokenIssuer issuer = new TokenIssuer(SigningKeys.generate(TokenVerifierTest.T0), "kw",
        new MutableClock(TokenVerifierTest.T0));
    String a = issuer.issue(TokenRequest.of("a", "t")).claims().jti();
    String b = issuer.issue(TokenRequest.of("a", "t")).claims().jti();
    assertFalse(a.equals(b));
  }

  @Test
  void issuedTokenNeverPrintsTheTokenText() throws Exception {
    TokenIssuer issuer = new TokenIssuer(SigningKeys.generate(TokenVerifierTest.T0), "kw",
        new MutableClock(TokenVerifierTest.T0));
    IssuedToken issued = issuer.issue(TokenRequest.of("a", "t"));
    assertFalse(issued.toString().contains(issued.token()));
  }

  @Test
  void refusesAnInvalidAgentName() {
    assertThrows(IllegalArgumentException.class, () -> TokenRequest.of("Agent One", "t"));
  }

  @Test
  void defaultLifetimeIsFifteenMinutes() throws Exception {
    MutableClock clock = new MutableClock(TokenVerifierTest.T0);
    TokenIssuer issuer = new TokenIssuer(SigningKeys.generate(clock.instant()), "kw", clock);
    PlatformToken claims = issuer.issue(TokenRequest.of("a", "t")).claims();
    assertEquals(Duration.ofMinutes(15), Duration.between(claims.issuedAt(), claims.expiresAt()));
  }
}
