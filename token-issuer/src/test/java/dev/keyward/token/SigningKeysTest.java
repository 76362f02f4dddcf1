package dev.keyward.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import com.google.crypto.tink.jwt.JwtEcdsaPrivateKey;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SigningKeysTest {

  static final Instant T0 = TokenVerifierTest.T0;

  @BeforeAll
  static void registerAead() throws Exception {
    AeadConfig.register();
  }

  static Aead newKek() throws GeneralSecurityException {
    return KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM)
        .getPrimitive(RegistryConfiguration.get(), Aead.class);
  }

  @Test
  void roundTripsThroughJsonEncryptedUnderTheKek() throws Exception {
    Aead kek = newKek();
    SigningKeys keys = SigningKeys.generate(T0).rotate(T0.plusSeconds(1));
    SigningKeys read = SigningKeys.fromJson(keys.toJson(kek), kek);
    assertEquals(keys.primaryKid(), read.primaryKid());
    assertEquals(keys.publicKeys().kids(), read.publicKeys().kids());
  }

  @Test
  void doesNotDecryptUnderAnotherKek() throws Exception {
    String json = SigningKeys.generate(T0).toJson(newKek());
    Aead other = newKek();
    assertThrows(GeneralSecurityException.class, () -> SigningKeys.fromJson(json, other));
  }

  @Test
  void storedJsonHoldsNoPrivateKeyInTheClear() throws Exception {
    SigningKeys keys = SigningKeys.generate(T0);
    String json = keys.toJson(newKek());
    JwtEcdsaPrivateKey key = (JwtEcdsaPrivateKey) keys.privateKeyset().getPrimary().getKey();
    BigInteger scalar = key.getPrivateValue().getBigInteger(InsecureSecretKeyAccess.get());
    byte[] bytes = scalar.toByteArray();
    assertFalse(json.contains(scalar.toString()));
    assertFalse(json.contains(scalar.toString(16)));
    assertFalse(json.contains(Base64.getEncoder().encodeToString(bytes).substring(0, 20)));
    assertFalse(json.contains(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes)
        .substring(0, 20)));
    assertTrue(json.contains("encryptedKeyset"), json);
  }

  @Test
  void rotationKeepsThePreviousKeyUntilRetentionHasPassed() throws Exception {
    SigningKeys first = SigningKeys.generate(T0);
    String oldKid = first.primaryKid();
    SigningKeys rotated = first.rotate(T0.plus(Duration.ofMinutes(1)));
    assertTrue(rotated.publicKeys().kids().contains(oldKid));
    assertFalse(rotated.primaryKid().equals(oldKid));

    SigningKeys almost = rotated.prune(T0.plus(Duration.ofMinutes(1)).plus(SigningKeys.RETENTION)
        .minusSeconds(1));
    assertTrue(almost.publicKeys().kids().contains(oldKid));

    SigningKeys pruned = rotated.prune(T0.plus(Duration.ofMinutes(1)).plus(SigningKeys.RETENTION));
    assertFalse(pruned.publicKeys().kids().contains(oldKid));
    assertTrue(pruned.publicKeys().retiredKids().contains(oldKid));
    assertEquals(1, pruned.size());
  }

  @Test
  void jwksPublishesEveryVerifyingKey() throws Exception {
    SigningKeys keys = SigningKeys.generate(T0).rotate(T0.plusSeconds(5));
    String jwks = keys.publicKeys().jwks();
    for (String kid : keys.publicKeys().kids()) {
      assertTrue(jwks.contains(kid), jwks);
    }
    assertFalse(jwks.contains("\"d\""), "a JWKS must never contain a private exponent");
  }
}
