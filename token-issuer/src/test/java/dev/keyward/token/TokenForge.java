package dev.keyward.token;

import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.jwt.JwtPublicKeySign;
import com.google.crypto.tink.jwt.RawJwt;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.function.UnaryOperator;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Makes every kind of bad token a verifier must refuse, signed (where a signature matters) with
 * the real signing keys. Shared by the verifier's unit tests and the proxy's end-to-end tests.
 */
public final class TokenForge {

  private final SigningKeys keys;
  private final String issuer;
  private final Clock clock;

  public TokenForge(SigningKeys keys, String issuer, Clock clock) {
    this.keys = keys;
    this.issuer = issuer;
    this.clock = clock;
  }

  public String valid(String agent, String tenant) throws GeneralSecurityException {
    return new TokenIssuer(keys, issuer, clock).issue(TokenRequest.of(agent, tenant)).token();
  }

  /** A validly signed token whose claims {@code customize} may change. */
  public String signed(UnaryOperator<RawJwt.Builder> customize) throws GeneralSecurityException {
    return sign(keys, customize.apply(claims("keyward")));
  }

  private RawJwt.Builder claims(String audience) {
    return RawJwt.newBuilder()
        .setTypeHeader(TokenIssuer.TOKEN_TYPE)
        .setIssuer(issuer)
        .addAudience(audience)
        .setSubject("agent-1")
        .addStringClaim("tenant", "acme")
        .setJwtId("forged-jti")
        .setIssuedAt(clock.instant())
        .setExpiration(clock.instant().plus(Duration.ofMinutes(10)));
  }

  private static String sign(SigningKeys with, RawJwt.Builder jwt) throws GeneralSecurityException {
    return with.privateKeyset().getPrimitive(RegistryConfiguration.get(), JwtPublicKeySign.class)
        .signAndEncode(jwt.build());
  }

  public String garbage() {
    return "not a jwt at all";
  }

  public String badBase64() {
    return "!!!.***.$$$";
  }

  public String tooLarge() {
    return "a".repeat(TokenVerifier.MAX_TOKEN_LENGTH + 1);
  }

  public String algNone() {
    return b64("{\"alg\":\"none\",\"typ\":\"keyward+jwt\",\"kid\":\"" + keys.primaryKid() + "\"}")
        + "." + b64(payload()) + ".";
  }

  /** The classic confusion attack: HS256 with the public key (as published) as the HMAC key. */
  public String hs256WithPublicKey() throws GeneralSecurityException {
    String signingInput = b64("{\"alg\":\"HS256\",\"typ\":\"keyward+jwt\",\"kid\":\""
        + keys.primaryKid() + "\"}") + "." + b64(payload());
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(keys.publicKeys().jwks().getBytes(StandardCharsets.UTF_8),
        "HmacSHA256"));
    byte[] signature = mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII));
    return signingInput + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(signature);
  }

  public String wrongType() throws GeneralSecurityException {
    return signed(b -> b.setTypeHeader("JWT"));
  }

  public String unknownKid() throws GeneralSecurityException {
    return sign(SigningKeys.generate(clock.instant()), claims("keyward"));
  }

  public String wrongAudience() throws GeneralSecurityException {
    return sign(keys, claims("someone-else"));
  }

  public String wrongIssuer() throws GeneralSecurityException {
    return signed(b -> b.setIssuer("https://evil.example"));
  }

  /** Issued long enough ago to be past its expiry and the clock skew. */
  public String expired() throws GeneralSecurityException {
    Clock past = Clock.offset(clock, TokenIssuer.DEFAULT_TTL.plus(TokenVerifier.MAX_CLOCK_SKEW)
        .plusMinutes(1).negated());
    return new TokenIssuer(keys, issuer, past).issue(TokenRequest.of("agent-1", "acme")).token();
  }

  public String notYetValid() throws GeneralSecurityException {
    return signed(b -> b.setNotBefore(clock.instant().plus(Duration.ofMinutes(5))));
  }

  public String missingTenant() throws GeneralSecurityException {
    return sign(keys, RawJwt.newBuilder().setTypeHeader(TokenIssuer.TOKEN_TYPE).setIssuer(issuer)
        .addAudience("keyward").setSubject("agent-1").setJwtId("j").setIssuedAt(clock.instant())
        .setExpiration(clock.instant().plusSeconds(60)));
  }

  public String lifetimeOverAnHour() throws GeneralSecurityException {
    return signed(b -> b.setExpiration(clock.instant().plus(Duration.ofHours(2))));
  }

  public String tamperedSignature() throws GeneralSecurityException {
    String token = valid("agent-1", "acme");
    char c = token.charAt(token.length() - 2);
    return token.substring(0, token.length() - 2) + (c == 'A' ? 'B' : 'A')
        + token.charAt(token.length() - 1);
  }

  public String tamperedPayload() throws GeneralSecurityException {
    String[] parts = valid("agent-1", "acme").split("\\.");
    String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
        .replace("\"acme\"", "\"evil\"");
    return parts[0] + "." + b64(payload) + "." + parts[2];
  }

  private String payload() {
    long now = clock.instant().getEpochSecond();
    return "{\"iss\":\"" + issuer + "\",\"aud\":\"keyward\",\"sub\":\"agent-1\",\"tenant\":\"acme\","
        + "\"jti\":\"x\",\"iat\":" + now + ",\"exp\":" + (now + 600) + "}";
  }

  private static String b64(String json) {
    return Base64.getUrlEncoder().withoutPadding()
        .encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }
}
