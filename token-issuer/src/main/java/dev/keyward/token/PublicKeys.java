package dev.keyward.token;

import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.jwt.JwkSetConverter;
import com.google.crypto.tink.jwt.JwtPublicKeyVerify;
import com.google.crypto.tink.jwt.JwtSignaturePublicKey;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The public half of the signing keys: what the proxy verifies with. It cannot mint tokens. Knows
 * which key ids are current and which were retired, so a token signed with a retired key gets its
 * own error code.
 */
public final class PublicKeys {

  private final KeysetHandle keyset;
  private final JwtPublicKeyVerify verifier;
  private final Set<String> kids;
  private final Set<String> retiredKids;
  private final Map<String, JwtSignaturePublicKey> byKid;

  PublicKeys(KeysetHandle publicKeyset, Set<String> retiredKids) throws GeneralSecurityException {
    Tinks.ensureRegistered();
    this.keyset = publicKeyset;
    this.verifier = publicKeyset.getPrimitive(RegistryConfiguration.get(), JwtPublicKeyVerify.class);
    Map<String, JwtSignaturePublicKey> keys = new HashMap<>();
    for (int i = 0; i < publicKeyset.size(); i++) {
      JwtSignaturePublicKey key = (JwtSignaturePublicKey) publicKeyset.getAt(i).getKey();
      key.getKid().ifPresent(kid -> keys.put(kid, key));
    }
    this.byKid = Map.copyOf(keys);
    this.kids = byKid.keySet();
    Set<String> retired = new HashSet<>(retiredKids);
    retired.removeAll(this.kids);
    this.retiredKids = Set.copyOf(retired);
  }

  /**
   * Reads a JWK set (RFC 7517), e.g. from an issuer's {@code /.well-known/jwks.json}.
   *
   * @throws GeneralSecurityException when the set has no usable ES256 key
   */
  public static PublicKeys fromJwks(String jwks, Set<String> retiredKids)
      throws GeneralSecurityException {
    Tinks.ensureRegistered();
    try {
      return new PublicKeys(JwkSetConverter.toPublicKeysetHandle(jwks), retiredKids);
    } catch (IOException e) {
      throw new GeneralSecurityException("the JWK set is not valid JSON", e);
    }
  }

  /** The keys as a JWK set, for {@code /.well-known/jwks.json}. */
  public String jwks() {
    try {
      return JwkSetConverter.fromPublicKeysetHandle(keyset);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("public keyset cannot be written as JWKS", e);
    }
  }

  /**
   * Whether every key of {@code earlier} is still here, under the same id and with the same key
   * material: then a token that verified with {@code earlier} still verifies with these keys.
   */
  public boolean keepsEveryKeyOf(PublicKeys earlier) {
    for (Map.Entry<String, JwtSignaturePublicKey> key : earlier.byKid.entrySet()) {
      JwtSignaturePublicKey kept = byKid.get(key.getKey());
      if (kept == null || !kept.equalsKey(key.getValue())) {
        return false;
      }
    }
    return true;
  }

  public Set<String> kids() {
    return kids;
  }

  public Set<String> retiredKids() {
    return retiredKids;
  }

  JwtPublicKeyVerify verifier() {
    return verifier;
  }
}
