package dev.keyward.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.keyward.vault.MutableClock;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OperatorTokenTest {

  MutableClock clock;
  TokenIssuer issuer;
  TokenVerifier verifier;
  java.util.Set<String> revoked = new java.util.HashSet<>();

  @BeforeEach
  void setUp() throws Exception {
    clock = new MutableClock(TokenVerifierTest.T0);
    SigningKeys keys = SigningKeys.generate(clock.instant());
    issuer = new TokenIssuer(keys, "kw", clock);
    verifier = TokenVerifier.builder().keys(keys.publicKeys()).issuer("kw").clock(clock)
        .revocations(new Revocations() {
          @Override
          public boolean isTokenRevoked(String jti) {
            return revoked.contains(jti);
          }

          @Override
          public boolean isAgentDisabled(String agent) {
            return false;
          }
        }).build();
  }

  @Test
  void anOperatorTokenCarriesItsNameAndRole() throws Exception {
    String token = issuer.issueOperator("alice", Role.AUDITOR, Duration.ofMinutes(30)).token();
    OperatorToken verified = verifier.verifyOperator(token);
    assertEquals("alice", verified.name());
    assertEquals(Role.AUDITOR, verified.role());
  }

  @Test
  void anAgentTokenIsNotAnOperatorToken() throws Exception {
    String agentToken = issuer.issue(TokenRequest.of("agent-1", "acme")).token();
    TokenRejectedException e =
        assertThrows(TokenRejectedException.class, () -> verifier.verifyOperator(agentToken));
    assertEquals(TokenError.WRONG_TOKEN_TYPE, e.error());
  }

  @Test
  void anOperatorTokenIsNotAnAgentToken() throws Exception {
    String operatorToken = issuer.issueOperator("alice", Role.OPERATOR, Duration.ofMinutes(5)).token();
    TokenRejectedException e =
        assertThrows(TokenRejectedException.class, () -> verifier.verify(operatorToken));
    assertEquals(TokenError.WRONG_TOKEN_TYPE, e.error());
  }

  @Test
  void aRevokedOperatorTokenIsRefused() throws Exception {
    IssuedOperatorToken issued = issuer.issueOperator("alice", Role.OPERATOR, Duration.ofMinutes(5));
    revoked.add(issued.claims().jti());
    TokenRejectedException e = assertThrows(TokenRejectedException.class,
        () -> verifier.verifyOperator(issued.token()));
    assertEquals(TokenError.TOKEN_REVOKED, e.error());
  }

  @Test
  void anExpiredOperatorTokenIsRefused() throws Exception {
    String token = issuer.issueOperator("alice", Role.OPERATOR, Duration.ofMinutes(5)).token();
    clock.advance(Duration.ofMinutes(10));
    TokenRejectedException e =
        assertThrows(TokenRejectedException.class, () -> verifier.verifyOperator(token));
    assertEquals(TokenError.TOKEN_EXPIRED, e.error());
  }

  @Test
  void aLifetimeOverTwelveHoursIsRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> issuer.issueOperator("alice", Role.OPERATOR, Duration.ofHours(13)));
  }
}
