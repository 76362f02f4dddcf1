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
    byte[] id = new byte[16];
    random.nextBytes(id);
    String jti = Base64.getUrlEncoder().withoutPadding().encodeToString(id);
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

  private static String groupsJson(TokenRequest request) {
    // Group names are restricted to [a-z0-9._-] (Names), so quoting needs no escaping.
    StringBuilder json = new StringBuilder("[");
    for (String group : request.groups().stream().sorted().toList()) {
      json.append(json.length() > 1 ? "," : "").append('"').append(group).append('"');
    }
    return json.append(']').toString();
  }
}
