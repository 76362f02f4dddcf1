package dev.keyward.token;

import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.jwt.JwtInvalidException;
import com.google.crypto.tink.jwt.JwtPublicKeySign;
import com.google.crypto.tink.jwt.RawJwt;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Objects;

/** Mints platform tokens: ES256 JWTs with {@code iss}, {@code aud}, {@code sub}, {@code tenant}. */
public final class TokenIssuer {

  public static final Duration DEFAULT_TTL = Duration.ofMinutes(15);
  public static final Duration MAX_TTL = Duration.ofHours(1);
  /** The {@code typ} header of every platform token (explicit typing, RFC 8725 section 3.11). */
  public static final String TOKEN_TYPE = "keyward+jwt";
  public static final String AUDIENCE = "keyward";
  /** The {@code typ} and {@code aud} of operator tokens, so agent tokens never pass for them. */
  public static final String OPERATOR_TOKEN_TYPE = "keyward-operator+jwt";
  public static final String OPERATOR_AUDIENCE = "keyward-admin";
  public static final Duration DEFAULT_OPERATOR_TTL = Duration.ofHours(1);
  public static final Duration MAX_OPERATOR_TTL = Duration.ofHours(12);

  private final JwtPublicKeySign signer;
  private final String issuer;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();

  public TokenIssuer(SigningKeys keys, String issuer, Clock clock) throws GeneralSecurityException {
    this.signer = keys.privateKeyset().getPrimitive(RegistryConfiguration.get(), JwtPublicKeySign.class);
    this.issuer = Objects.requireNonNull(issuer, "issuer");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Signs a token for the request.
   *
   * @throws IllegalArgumentException when the lifetime is not positive or exceeds {@link #MAX_TTL}
   */
  public IssuedToken issue(TokenRequest request) throws GeneralSecurityException {
    Duration ttl = request.ttl();
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("ttl must be positive");
    }
    if (ttl.compareTo(MAX_TTL) > 0) {
      throw new IllegalArgumentException("ttl " + ttl.toSeconds() + "s exceeds the maximum of "
          + MAX_TTL.toSeconds() + "s; ask for a shorter token");
    }
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    Instant expires = now.plus(ttl);
    String jti = newJti();
    RawJwt.Builder jwt = RawJwt.newBuilder()
        .setTypeHeader(TOKEN_TYPE)
        .setIssuer(issuer)
        .addAudience(AUDIENCE)
        .setSubject(request.agent())
        .addStringClaim("tenant", request.tenant())
        .setJwtId(jti)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpiration(expires);
    request.purpose().ifPresent(p -> jwt.addStringClaim("purpose", p.claim()));
    if (!request.groups().isEmpty()) {
      try {
        jwt.addJsonArrayClaim("groups", groupsJson(request));
      } catch (JwtInvalidException e) {
        throw new IllegalArgumentException("invalid groups", e);
      }
    }
    String token = signer.signAndEncode(jwt.build());
    PlatformToken claims = new PlatformToken(request.agent(), request.tenant(), request.groups(),
        jti, now, now, expires, request.purpose());
    return new IssuedToken(token, claims);
  }

  /**
   * Signs an operator token for the admin API.
   *
   * @throws IllegalArgumentException for an invalid name or a lifetime over {@link #MAX_OPERATOR_TTL}
   */
  public IssuedOperatorToken issueOperator(String name, Role role, Duration ttl)
      throws GeneralSecurityException {
    dev.keyward.policies.Names.require(name, "operator");
    if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_OPERATOR_TTL) > 0) {
      throw new IllegalArgumentException("operator token lifetime must be positive and at most "
          + MAX_OPERATOR_TTL.toHours() + "h");
    }
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    String jti = newJti();
    RawJwt jwt = RawJwt.newBuilder()
        .setTypeHeader(OPERATOR_TOKEN_TYPE)
        .setIssuer(issuer)
        .addAudience(OPERATOR_AUDIENCE)
        .setSubject(name)
        .addStringClaim("role", role.claim())
        .setJwtId(jti)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpiration(now.plus(ttl))
        .build();
    return new IssuedOperatorToken(signer.signAndEncode(jwt),
        new OperatorToken(name, role, jti, now.plus(ttl)));
  }

  /** 128 random bits, base64url; never starting with '-', so no command line takes it for an option. */
  private String newJti() {
    byte[] id = new byte[16];
    String jti;
    do {
      random.nextBytes(id);
      jti = Base64.getUrlEncoder().withoutPadding().encodeToString(id);
    } while (jti.charAt(0) == '-');
    return jti;
  }

  private static String groupsJson(TokenRequest request) {
    // Group names are restricted to [a-z0-9._-] (Names), so quoting needs no escaping.
    StringBuilder json = new StringBuilder("[");
    for (String group : request.groups().stream().sorted().toList()) {
      json.append(json.length() > 1 ? "," : "").append('"').append(group).append('"');
    }
    return json.append(']').toString();
  }
}
