package dev.keyward.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.vault.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TokenVerifierTest {

  static final String ISSUER = "https://keyward.test";
  static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");

  MutableClock clock;
  SigningKeys keys;
  TokenIssuer issuer;
  TokenVerifier verifier;
  Set<String> revokedJtis;
  Set<String> disabledAgents;

  @BeforeEach
  void setUp() throws Exception {
    clock = new MutableClock(T0);
    keys = SigningKeys.generate(T0);
    issuer = new TokenIssuer(keys, ISSUER, clock);
    revokedJtis = new java.util.concurrent.CopyOnWriteArraySet<>();
    disabledAgents = new java.util.concurrent.CopyOnWriteArraySet<>();
    verifier = verifier(keys);
  }

  TokenVerifier verifier(SigningKeys signingKeys) {
    return TokenVerifier.builder()
        .keys(signingKeys.publicKeys())
        .issuer(ISSUER)
        .clock(clock)
        .revocations(new Revocations() {
          @Override
          public boolean isTokenRevoked(String jti) {
            return revokedJtis.contains(jti);
          }

          @Override
          public boolean isAgentDisabled(String agent) {
            return disabledAgents.contains(agent);
          }
        })
        .build();
  }

  IssuedToken issue() throws Exception {
    return issuer.issue(TokenRequest.of("agent-1", "acme"));
  }

  /** Each hostile or broken token and the code it must be refused with. */
  static Stream<Arguments> badTokens() {
    return Stream.of(
        Arguments.of("empty", TokenError.EMPTY_TOKEN),
        Arguments.of("garbage", TokenError.MALFORMED_TOKEN),
        Arguments.of("bad-base64", TokenError.BAD_TOKEN_ENCODING),
        Arguments.of("alg-none", TokenError.UNSIGNED_TOKEN),
        Arguments.of("hs256-with-public-key", TokenError.UNSUPPORTED_ALGORITHM),
        Arguments.of("wrong-typ", TokenError.WRONG_TOKEN_TYPE),
        Arguments.of("unknown-kid", TokenError.UNKNOWN_KEY),
        Arguments.of("wrong-aud", TokenError.WRONG_AUDIENCE),
        Arguments.of("wrong-iss", TokenError.WRONG_ISSUER),
        Arguments.of("expired", TokenError.TOKEN_EXPIRED),
        Arguments.of("nbf-future", TokenError.TOKEN_NOT_YET_VALID),
        Arguments.of("revoked-jti", TokenError.TOKEN_REVOKED),
        Arguments.of("disabled-agent", TokenError.AGENT_DISABLED),
        Arguments.of("too-large", TokenError.TOKEN_TOO_LARGE),
        Arguments.of("tampered-signature", TokenError.INVALID_SIGNATURE),
        Arguments.of("tampered-payload", TokenError.INVALID_SIGNATURE),
        Arguments.of("missing-tenant", TokenError.INVALID_CLAIMS),
        Arguments.of("lifetime-over-an-hour", TokenError.INVALID_CLAIMS),
        Arguments.of("retired-key", TokenError.KEY_RETIRED));
  }

  String craft(String kind) throws Exception {
    TokenForge forge = new TokenForge(keys, ISSUER, clock);
    switch (kind) {
      case "empty":
        return "";
      case "garbage":
        return forge.garbage();
      case "bad-base64":
        return forge.badBase64();
      case "alg-none":
        return forge.algNone();
      case "hs256-with-public-key":
        return forge.hs256WithPublicKey();
      case "wrong-typ":
        return forge.wrongType();
      case "unknown-kid":
        return forge.unknownKid();
      case "wrong-aud":
        return forge.wrongAudience();
      case "wrong-iss":
        return forge.wrongIssuer();
      case "expired":
        return forge.expired();
      case "nbf-future":
        return forge.notYetValid();
      case "revoked-jti": {
        IssuedToken token = issue();
        revokedJtis.add(token.claims().jti());
        return token.token();
      }
      case "disabled-agent":
        disabledAgents.add("agent-1");
        return issue().token();
      case "too-large":
        return forge.tooLarge();
      case "tampered-signature":
        return forge.tamperedSignature();
      case "tampered-payload":
        return forge.tamperedPayload();
      case "missing-tenant":
        return forge.missingTenant();
      case "lifetime-over-an-hour":
        return forge.lifetimeOverAnHour();
      case "retired-key": {
        String token = issue().token();
        keys = keys.rotate(clock.instant());
        clock.advance(SigningKeys.RETENTION);
        keys = keys.prune(clock.instant());
        verifier.updateKeys(keys.publicKeys());
        return token;
      }
      default:
        throw new IllegalArgumentException(kind);
    }
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("badTokens")
  void refusesEachBadTokenWithItsOwnCode(String kind, TokenError expected) throws Exception {
    String token = craft(kind);
    TokenRejectedException e =
        assertThrows(TokenRejectedException.class, () -> verifier.verify(token));
    assertEquals(expected, e.error());
    if (token.length() > 8) {
      assertFalse(e.getMessage().contains(token.substring(token.length() - 8)),
          "the message must not echo the token");
    }
  }

  @Test
  void acceptsATokenItIssuedAndReturnsItsClaims() throws Exception {
    IssuedToken issued = issuer.issue(new TokenRequest("agent-1", "acme", Set.of("research"),
        Optional.of(Purpose.HEARTBEAT), Duration.ofMinutes(5)));
    PlatformToken claims = verifier.verify(issued.token());
    assertEquals("agent-1", claims.agent());
    assertEquals("acme", claims.tenant());
    assertEquals(Set.of("research"), claims.groups());
    assertEquals(Optional.of(Purpose.HEARTBEAT), claims.purpose());
    assertEquals(T0.plus(Duration.ofMinutes(5)), claims.expiresAt());
  }

  @Test
  void secondVerificationOfATokenIsACacheHit() throws Exception {
    String token = issue().token();
    verifier.verify(token);
    verifier.verify(token);
    assertEquals(1, verifier.cachedTokens());
    assertEquals(1, verifier.cacheStats().hitCount());
    assertEquals(1, verifier.cacheStats().missCount());
  }

  @Test
  void revocationAppliesToATokenAlreadyInTheCache() throws Exception {
    IssuedToken issued = issue();
    verifier.verify(issued.token());
    revokedJtis.add(issued.claims().jti());
    TokenRejectedException e =
        assertThrows(TokenRejectedException.class, () -> verifier.verify(issued.token()));
    assertEquals(TokenError.TOKEN_REVOKED, e.error());
  }

  @Test
  void cachedTokenStillExpiresOnTime() throws Exception {
    String token = issue().token();
    verifier.verify(token);
    clock.advance(TokenIssuer.DEFAULT_TTL.plus(TokenVerifier.DEFAULT_CLOCK_SKEW));
    TokenRejectedException e = assertThrows(TokenRejectedException.class, () -> verifier.verify(token));
    assertEquals(TokenError.TOKEN_EXPIRED, e.error());
  }

  @Test
  void tokenWithinTheClockSkewOfItsExpiryIsAccepted() throws Exception {
    String token = issue().token();
    clock.advance(TokenIssuer.DEFAULT_TTL.plusSeconds(10));
    assertEquals("agent-1", verifier.verify(token).agent());
  }

  @Test
  void tokensSignedBeforeARotationStillVerifyWithinRetention() throws Exception {
    String before = issue().token();
    keys = keys.rotate(clock.instant());
    verifier.updateKeys(keys.publicKeys());
    TokenIssuer rotated = new TokenIssuer(keys, ISSUER, clock);
    String after = rotated.issue(TokenRequest.of("agent-2", "acme")).token();
    assertEquals("agent-1", verifier.verify(before).agent());
    assertEquals("agent-2", verifier.verify(after).agent());
    assertEquals(2, keys.publicKeys().kids().size());
  }

  @Test
  void aRotationThatOnlyAddsAKeyKeepsVerifiedTokensCached() throws Exception {
    String before = issue().token();
    verifier.verify(before);
    keys = keys.rotate(clock.instant());
    verifier.updateKeys(keys.publicKeys());
    assertEquals("agent-1", verifier.verifyCached(before).agent());
  }

  @Test
  void removingTheKeyATokenWasSignedWithDropsItFromTheCache() throws Exception {
    String before = issue().token();
    verifier.verify(before);
    keys = keys.rotate(clock.instant());
    clock.advance(SigningKeys.RETENTION);
    keys = keys.prune(clock.instant());
    verifier.updateKeys(keys.publicKeys());
    assertEquals(null, verifier.verifyCached(before));
    assertEquals(TokenError.KEY_RETIRED,
        assertThrows(TokenRejectedException.class, () -> verifier.verify(before)).error());
  }

  @Test
  void keysWithTheSameIdButOtherMaterialDropTheCache() throws Exception {
    String before = issue().token();
    verifier.verify(before);
    SigningKeys other = SigningKeys.generate(T0);
    PublicKeys impostor = PublicKeys.fromJwks(
        other.publicKeys().jwks().replace(other.primaryKid(), keys.primaryKid()), Set.of());
    assertEquals(keys.publicKeys().kids(), impostor.kids());
    verifier.updateKeys(impostor);
    assertEquals(null, verifier.verifyCached(before));
  }

  @Test
  void clockSkewAboveTheMaximumIsRefusedAtBuild() {
    assertThrows(IllegalStateException.class, () -> TokenVerifier.builder().keys(keys.publicKeys())
        .issuer(ISSUER).clockSkew(Duration.ofMinutes(5)).build());
  }

  @Test
  void verifierBuiltFromJwksAcceptsTheIssuersTokens() throws Exception {
    PublicKeys fromJwks = PublicKeys.fromJwks(keys.publicKeys().jwks(), Set.of());
    TokenVerifier remote = TokenVerifier.builder().keys(fromJwks).issuer(ISSUER).clock(clock).build();
    assertEquals("agent-1", remote.verify(issue().token()).agent());
    assertTrue(fromJwks.kids().contains(keys.primaryKid()));
  }

  /** The bad tokens only the signature check, the verified claims or revocation refuse. */
  static final Set<String> REFUSED_AFTER_THE_SIGNATURE = Set.of("revoked-jti", "disabled-agent",
      "tampered-signature", "tampered-payload", "missing-tenant", "lifetime-over-an-hour");

  /** The refusals {@link TokenVerifier#precheck} gives without a signature check. */
  static Stream<Arguments> tokensRefusedBeforeTheSignature() {
    return badTokens().filter(a -> !REFUSED_AFTER_THE_SIGNATURE.contains((String) a.get()[0]));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("tokensRefusedBeforeTheSignature")
  void precheckRefusesWithTheCodeVerifyGives(String kind, TokenError expected) throws Exception {
    String token = craft(kind);
    TokenRejectedException e =
        assertThrows(TokenRejectedException.class, () -> verifier.precheck(token));
    assertEquals(expected, e.error());
    assertEquals(expected, assertThrows(TokenRejectedException.class,
        () -> verifier.verify(token)).error());
  }

  @Test
  void precheckPassesAForgedSignatureThatVerifyRefusesAndNeverCaches() throws Exception {
    String forged = new TokenForge(keys, ISSUER, clock).tamperedSignature();
    verifier.precheck(forged);
    for (int i = 0; i < 2; i++) {
      assertEquals(TokenError.INVALID_SIGNATURE,
          assertThrows(TokenRejectedException.class, () -> verifier.verify(forged)).error());
      assertEquals(null, verifier.verifyCached(forged));
    }
    assertEquals(0, verifier.cachedTokens());
  }

  @Test
  void verifyCachedAnswersOnlyATokenWhoseSignatureWasVerified() throws Exception {
    String token = issue().token();
    assertEquals(null, verifier.verifyCached(token));
    PlatformToken verified = verifier.verify(token);
    assertEquals(verified, verifier.verifyCached(token));
  }

  @Test
  void aNewTokenLookedUpThenVerifiedCountsOneMiss() throws Exception {
    String token = issue().token();
    assertEquals(null, verifier.verifyCached(token));
    verifier.verifyUncached(token);
    verifier.verifyCached(token);
    assertEquals(1, verifier.cacheStats().missCount());
    assertEquals(1, verifier.cacheStats().hitCount());
  }

  @Test
  void verifyCachedChecksRevocationAndExpiryLikeVerify() throws Exception {
    IssuedToken revoked = issue();
    IssuedToken disabled = issuer.issue(TokenRequest.of("agent-2", "acme"));
    IssuedToken expiring = issuer.issue(TokenRequest.of("agent-3", "acme"));
    for (IssuedToken token : java.util.List.of(revoked, disabled, expiring)) {
      verifier.verify(token.token());
    }
    revokedJtis.add(revoked.claims().jti());
    disabledAgents.add("agent-2");
    assertEquals(TokenError.TOKEN_REVOKED, assertThrows(TokenRejectedException.class,
        () -> verifier.verifyCached(revoked.token())).error());
    assertEquals(TokenError.AGENT_DISABLED, assertThrows(TokenRejectedException.class,
        () -> verifier.verifyCached(disabled.token())).error());
    clock.advance(TokenIssuer.DEFAULT_TTL.plus(TokenVerifier.DEFAULT_CLOCK_SKEW));
    assertEquals(TokenError.TOKEN_EXPIRED, assertThrows(TokenRejectedException.class,
        () -> verifier.verifyCached(expiring.token())).error());
  }

  @Test
  void cacheStaysWithinItsByteBound() throws Exception {
    long bytes = 20 * TokenVerifier.MIN_CACHE_ENTRY_BYTES;
    TokenVerifier small = TokenVerifier.builder().keys(keys.publicKeys()).issuer(ISSUER)
        .clock(clock).cacheSize(1_000).cacheBytes(bytes).build();
    for (int i = 0; i < 60; i++) {
      small.verify(issuer.issue(TokenRequest.of("agent-" + i, "acme")).token());
    }
    assertTrue(small.cachedTokens() <= 20, small.cachedTokens() + " cached");
    assertTrue(small.cachedTokens() > 0);
  }

  @Test
  void cacheStaysWithinItsEntryBound() throws Exception {
    TokenVerifier small = TokenVerifier.builder().keys(keys.publicKeys()).issuer(ISSUER)
        .clock(clock).cacheSize(10).build();
    for (int i = 0; i < 40; i++) {
      small.verify(issuer.issue(TokenRequest.of("agent-" + i, "acme")).token());
    }
    assertTrue(small.cachedTokens() <= 10, small.cachedTokens() + " cached");
  }

  @Test
  void cacheBoundsThatCannotHoldOneEntryAreRefusedAtBuild() {
    assertThrows(IllegalStateException.class, () -> TokenVerifier.builder()
        .keys(keys.publicKeys()).issuer(ISSUER).cacheBytes(100).build());
  }
}
