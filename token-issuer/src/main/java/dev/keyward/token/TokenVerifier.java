package dev.keyward.token;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import com.google.crypto.tink.jwt.JwtInvalidException;
import com.google.crypto.tink.jwt.JwtValidator;
import com.google.crypto.tink.jwt.VerifiedJwt;
import dev.keyward.policies.Names;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Verifies platform tokens with public keys only. Strict by default: ES256 only, expected {@code
 * typ}, {@code iss} and {@code aud}, {@code exp} required, clock skew at most {@link
 * #MAX_CLOCK_SKEW}. Cheap checks on the unverified header and payload come first and choose the
 * error code; Tink's signature and claim validation then decides acceptance. Verified claims are
 * cached until the token expires; revocation is checked on every call, cached or not.
 *
 * <p>For callers that must not block (an event loop), the work splits in three: {@link
 * #verifyCached} answers a token whose signature was already checked (a hash and a lookup),
 * {@link #precheck} refuses a token the cheap checks refuse (no cryptography), and {@link #verify}
 * does the rest (the ES256 signature check, about a millisecond) where blocking is allowed.
 */
public final class TokenVerifier {

  public static final int MAX_TOKEN_LENGTH = 8 * 1024;
  public static final Duration MAX_CLOCK_SKEW = Duration.ofSeconds(60);
  public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(30);
  public static final long DEFAULT_CACHE_SIZE = 100_000;
  /** Default bound of the verified-token cache in (estimated) heap bytes: 64 MiB. */
  public static final long DEFAULT_CACHE_BYTES = 64L << 20;
  /** The smallest estimate of one cached token's heap bytes; a byte bound below it is refused. */
  public static final long MIN_CACHE_ENTRY_BYTES = VerifiedTokenCache.BASE_ENTRY_BYTES;
  private static final int MAX_JTI_LENGTH = 128;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String issuer;
  private final Clock clock;
  private final Duration clockSkew;
  private final Revocations revocations;
  private final JwtValidator validator;
  private final JwtValidator operatorValidator;
  private final VerifiedTokenCache cache;
  private volatile PublicKeys keys;

  private TokenVerifier(Builder builder) {
    this.issuer = builder.issuer;
    this.clock = builder.clock;
    this.clockSkew = builder.clockSkew;
    this.revocations = builder.revocations;
    this.keys = builder.keys;
    this.validator = JwtValidator.newBuilder()
        .expectTypeHeader(TokenIssuer.TOKEN_TYPE)
        .expectIssuer(issuer)
        .expectAudience(TokenIssuer.AUDIENCE)
        .expectIssuedInThePast()
        .setClock(clock)
        .setClockSkew(clockSkew)
        .build();
    this.operatorValidator = JwtValidator.newBuilder()
        .expectTypeHeader(TokenIssuer.OPERATOR_TOKEN_TYPE)
        .expectIssuer(issuer)
        .expectAudience(TokenIssuer.OPERATOR_AUDIENCE)
        .expectIssuedInThePast()
        .setClock(clock)
        .setClockSkew(clockSkew)
        .build();
    this.cache = new VerifiedTokenCache(builder.cacheSize, builder.cacheBytes, clock);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the verified claims of {@code token}.
   *
   * @throws TokenRejectedException with the first reason the token is not acceptable
   */
  public PlatformToken verify(String token) throws TokenRejectedException {
    return verify(token, true);
  }

  /**
   * As {@link #verify}, for a token {@link #verifyCached} has just not found: its cache lookup
   * (another thread may have cached the token since) is not counted again in {@link #cacheStats}.
   */
  public PlatformToken verifyUncached(String token) throws TokenRejectedException {
    return verify(token, false);
  }

  private PlatformToken verify(String token, boolean countLookup) throws TokenRejectedException {
    checkSize(token);
    String key = VerifiedTokenCache.key(token);
    PlatformToken claims = countLookup ? cache.get(key) : cache.peek(key);
    if (claims == null) {
      PublicKeys current = keys;
      claims = claims(verifyJwt(token, TokenIssuer.TOKEN_TYPE, TokenIssuer.AUDIENCE, validator,
          current));
      cache.put(key, claims);
      if (keys != current) {
        // The keys changed while this token was checked (updateKeys may have cleared the cache
        // before our put): keep nothing verified with keys that may have been removed.
        cache.invalidate(key);
      }
    } else {
      checkCachedExpiry(key, claims);
    }
    return notRevoked(claims);
  }

  /**
   * Returns the claims of {@code token} if its signature has already been verified (it is in the
   * cache), after the same expiry and revocation checks as {@link #verify}; {@code null} if it must
   * be verified in full. Never checks a signature: cheap enough for an event loop.
   *
   * @throws TokenRejectedException if the token is refused on these checks
   */
  public PlatformToken verifyCached(String token) throws TokenRejectedException {
    checkSize(token);
    String key = VerifiedTokenCache.key(token);
    PlatformToken claims = cache.get(key);
    if (claims == null) {
      return null;
    }
    checkCachedExpiry(key, claims);
    return notRevoked(claims);
  }

  /**
   * Runs every check of {@link #verify} that needs no cryptography (size, structure, encoding,
   * {@code alg}, {@code typ}, {@code kid}, {@code iss}, {@code aud}, {@code exp}, {@code nbf}) and
   * refuses with the code {@code verify} would give. Passing proves nothing: the signature, the
   * verified claims and revocation are still to be checked by {@code verify}. Caches nothing.
   *
   * @throws TokenRejectedException with the first reason the token is not acceptable
   */
  public void precheck(String token) throws TokenRejectedException {
    checkSize(token);
    precheck(token, TokenIssuer.TOKEN_TYPE, TokenIssuer.AUDIENCE, keys);
  }

  private static void checkSize(String token) throws TokenRejectedException {
    if (token.isEmpty()) {
      throw new TokenRejectedException(TokenError.EMPTY_TOKEN);
    }
    if (token.length() > MAX_TOKEN_LENGTH) {
      throw new TokenRejectedException(TokenError.TOKEN_TOO_LARGE);
    }
  }

  private void checkCachedExpiry(String key, PlatformToken claims)
      throws TokenRejectedException {
    if (!clock.instant().isBefore(claims.expiresAt().plus(clockSkew))) {
      cache.invalidate(key);
      throw new TokenRejectedException(TokenError.TOKEN_EXPIRED);
    }
  }

  private PlatformToken notRevoked(PlatformToken claims) throws TokenRejectedException {
    if (revocations.isTokenRevoked(claims.jti())) {
      throw new TokenRejectedException(TokenError.TOKEN_REVOKED);
    }
    if (revocations.isAgentDisabled(claims.agent())) {
      throw new TokenRejectedException(TokenError.AGENT_DISABLED);
    }
    return claims;
  }

  /**
   * Swaps in a new set of public keys (after a signing-key rotation). When a key was removed (or
   * changed), cached verifications are dropped so it stops working at once; a rotation that only
   * adds a key keeps them, so agents' tokens are not all checked again at the same moment.
   */
  public void updateKeys(PublicKeys newKeys) {
    Objects.requireNonNull(newKeys, "newKeys");
    PublicKeys earlier = keys;
    this.keys = newKeys;
    if (!newKeys.keepsEveryKeyOf(earlier)) {
      cache.clear();
    }
  }

  public PublicKeys keys() {
    return keys;
  }

  /** Tokens currently cached. */
  public long cachedTokens() {
    return cache.size();
  }

  /** Verifications answered from the cache (hits) or by a signature check (misses). */
  public CacheStats cacheStats() {
    return cache.stats();
  }

  /**
   * Verifies an operator token for the admin API (its own {@code typ} and audience: an agent's
   * token is refused). Not cached: operators call rarely.
   */
  public OperatorToken verifyOperator(String token) throws TokenRejectedException {
    checkSize(token);
    VerifiedJwt jwt = verifyJwt(token, TokenIssuer.OPERATOR_TOKEN_TYPE,
        TokenIssuer.OPERATOR_AUDIENCE, operatorValidator, keys);
    try {
      String name = jwt.hasSubject() ? jwt.getSubject() : null;
      Optional<Role> role = jwt.hasStringClaim("role")
          ? Role.fromClaim(jwt.getStringClaim("role")) : Optional.empty();
      if (!Names.isValid(name) || role.isEmpty() || !jwt.hasJwtId()) {
        throw new TokenRejectedException(TokenError.INVALID_CLAIMS);
      }
      if (revocations.isTokenRevoked(jwt.getJwtId())) {
        throw new TokenRejectedException(TokenError.TOKEN_REVOKED);
      }
      return new OperatorToken(name, role.get(), jwt.getJwtId(), jwt.getExpiration());
    } catch (JwtInvalidException e) {
      throw new TokenRejectedException(TokenError.INVALID_CLAIMS);
    }
  }

  private VerifiedJwt verifyJwt(String token, String expectedType, String expectedAudience,
      JwtValidator strict, PublicKeys current) throws TokenRejectedException {
    precheck(token, expectedType, expectedAudience, current);
    try {
      return current.verifier().verifyAndDecode(token, strict);
    } catch (GeneralSecurityException e) {
      throw new TokenRejectedException(TokenError.INVALID_SIGNATURE);
    }
  }

  /** Cheap checks on the unverified header and payload; they choose the error code. */
  private void precheck(String token, String expectedType, String expectedAudience,
      PublicKeys current) throws TokenRejectedException {
    Instant now = clock.instant();
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3) {
      throw new TokenRejectedException(TokenError.MALFORMED_TOKEN);
    }
    JsonNode header = decode(parts[0]);
    JsonNode payload = decode(parts[1]);
    String alg = header.path("alg").asText("");
    if (alg.equalsIgnoreCase("none")) {
      throw new TokenRejectedException(TokenError.UNSIGNED_TOKEN);
    }
    if (!alg.equals("ES256")) {
      throw new TokenRejectedException(TokenError.UNSUPPORTED_ALGORITHM);
    }
    if (!expectedType.equals(header.path("typ").asText(null))) {
      throw new TokenRejectedException(TokenError.WRONG_TOKEN_TYPE);
    }
    String kid = header.path("kid").asText(null);
    if (kid == null || !current.kids().contains(kid)) {
      throw new TokenRejectedException(current.retiredKids().contains(kid)
          ? TokenError.KEY_RETIRED : TokenError.UNKNOWN_KEY);
    }
    if (!issuer.equals(payload.path("iss").asText(null))) {
      throw new TokenRejectedException(TokenError.WRONG_ISSUER);
    }
    if (!hasAudience(payload.path("aud"), expectedAudience)) {
      throw new TokenRejectedException(TokenError.WRONG_AUDIENCE);
    }
    JsonNode exp = payload.path("exp");
    if (!exp.isNumber()) {
      throw new TokenRejectedException(TokenError.INVALID_CLAIMS);
    }
    if (!now.isBefore(Instant.ofEpochSecond(exp.asLong()).plus(clockSkew))) {
      throw new TokenRejectedException(TokenError.TOKEN_EXPIRED);
    }
    JsonNode nbf = payload.path("nbf");
    if (nbf.isNumber() && now.plus(clockSkew).isBefore(Instant.ofEpochSecond(nbf.asLong()))) {
      throw new TokenRejectedException(TokenError.TOKEN_NOT_YET_VALID);
    }
  }

  private static JsonNode decode(String part) throws TokenRejectedException {
    try {
      JsonNode node = JSON.readTree(Base64.getUrlDecoder().decode(part));
      if (node == null || !node.isObject()) {
        throw new TokenRejectedException(TokenError.BAD_TOKEN_ENCODING);
      }
      return node;
    } catch (IllegalArgumentException | java.io.IOException e) {
      throw new TokenRejectedException(TokenError.BAD_TOKEN_ENCODING);
    }
  }

  private static boolean hasAudience(JsonNode aud, String expected) {
    if (aud.isTextual()) {
      return expected.equals(aud.asText());
    }
    if (aud.isArray()) {
      for (JsonNode item : aud) {
        if (expected.equals(item.asText(null))) {
          return true;
        }
      }
    }
    return false;
  }

  /** Reads the verified claims; anything missing or malformed is {@code invalid_claims}. */
  private static PlatformToken claims(VerifiedJwt jwt) throws TokenRejectedException {
    try {
      String agent = jwt.hasSubject() ? jwt.getSubject() : null;
      String tenant = jwt.hasStringClaim("tenant") ? jwt.getStringClaim("tenant") : null;
      String jti = jwt.hasJwtId() ? jwt.getJwtId() : null;
      if (!Names.isValid(agent) || !Names.isValid(tenant) || jti == null || jti.isEmpty()
          || jti.length() > MAX_JTI_LENGTH || !jwt.hasIssuedAt()) {
        throw new TokenRejectedException(TokenError.INVALID_CLAIMS);
      }
      Instant issuedAt = jwt.getIssuedAt();
      Instant expiresAt = jwt.getExpiration();
      Instant notBefore = jwt.hasNotBefore() ? jwt.getNotBefore() : issuedAt;
      if (Duration.between(issuedAt, expiresAt).compareTo(TokenIssuer.MAX_TTL) > 0) {
        throw new TokenRejectedException(TokenError.INVALID_CLAIMS);
      }
      Optional<Purpose> purpose = Optional.empty();
      if (jwt.hasStringClaim("purpose")) {
        purpose = Purpose.fromClaim(jwt.getStringClaim("purpose"));
        if (purpose.isEmpty()) {
          throw new TokenRejectedException(TokenError.INVALID_CLAIMS);
        }
      }
      Set<String> groups = jwt.hasJsonArrayClaim("groups")
          ? groups(jwt.getJsonArrayClaim("groups")) : Set.of();
      return new PlatformToken(agent, tenant, groups, jti, issuedAt, notBefore, expiresAt, purpose);
    } catch (JwtInvalidException e) {
      throw new TokenRejectedException(TokenError.INVALID_CLAIMS);
    }
  }

  private static Set<String> groups(String json) throws TokenRejectedException {
    Set<String> groups = new HashSet<>();
    try {
      for (JsonNode item : JSON.readTree(json)) {
        if (!item.isTextual() || !Names.isValid(item.asText())) {
          throw new TokenRejectedException(TokenError.INVALID_CLAIMS);
        }
        groups.add(item.asText());
      }
    } catch (JsonProcessingException e) {
      throw new TokenRejectedException(TokenError.INVALID_CLAIMS);
    }
    return groups;
  }

  /** Builds a verifier; {@link #build()} refuses incomplete or unsafe settings. */
  public static final class Builder {
    private PublicKeys keys;
    private String issuer;
    private Clock clock = Clock.systemUTC();
    private Duration clockSkew = DEFAULT_CLOCK_SKEW;
    private Revocations revocations = Revocations.NONE;
    private long cacheSize = DEFAULT_CACHE_SIZE;
    private long cacheBytes = DEFAULT_CACHE_BYTES;

    private Builder() {}

    /** Required: the public keys tokens must be signed with. */
    public Builder keys(PublicKeys keys) {
      this.keys = Objects.requireNonNull(keys, "keys");
      return this;
    }

    /** Required: the expected {@code iss}. */
    public Builder issuer(String issuer) {
      this.issuer = Objects.requireNonNull(issuer, "issuer");
      return this;
    }

    /** Default: the system UTC clock. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Default {@link #DEFAULT_CLOCK_SKEW}; at most {@link #MAX_CLOCK_SKEW}. */
    public Builder clockSkew(Duration clockSkew) {
      this.clockSkew = Objects.requireNonNull(clockSkew, "clockSkew");
      return this;
    }

    /** Default {@link Revocations#NONE}. */
    public Builder revocations(Revocations revocations) {
      this.revocations = Objects.requireNonNull(revocations, "revocations");
      return this;
    }

    /** Default {@link #DEFAULT_CACHE_SIZE} verified tokens. */
    public Builder cacheSize(long cacheSize) {
      this.cacheSize = cacheSize;
      return this;
    }

    /**
     * Default {@link #DEFAULT_CACHE_BYTES}: the most heap the verified-token cache may hold, by
     * its estimate of each entry; at least {@link #MIN_CACHE_ENTRY_BYTES}.
     */
    public Builder cacheBytes(long cacheBytes) {
      this.cacheBytes = cacheBytes;
      return this;
    }

    public TokenVerifier build() {
      if (keys == null || issuer == null) {
        throw new IllegalStateException("a verifier needs keys and an issuer");
      }
      if (clockSkew.isNegative() || clockSkew.compareTo(MAX_CLOCK_SKEW) > 0) {
        throw new IllegalStateException("clock skew must be between 0 and " + MAX_CLOCK_SKEW);
      }
      if (cacheSize < 1) {
        throw new IllegalStateException("cache size must be positive");
      }
      if (cacheBytes < MIN_CACHE_ENTRY_BYTES) {
        throw new IllegalStateException("the cache's byte bound must be at least "
            + MIN_CACHE_ENTRY_BYTES + " bytes (one entry)");
      }
      return new TokenVerifier(this);
    }
  }
}
