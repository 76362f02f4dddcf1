package dev.keyward.vault;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Instant;
import java.util.Base64;

/**
 * A Kubernetes cluster's service-account token issuer, for tests: signs projected tokens (RS256)
 * with the claims the API server puts in them, and hands its public key to the Vault double.
 */
public final class TestJwt {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  private final KeyPair keys;

  private TestJwt(KeyPair keys) {
    this.keys = keys;
  }

  public static TestJwt issuer() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      return new TestJwt(generator.generateKeyPair());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public PublicKey publicKey() {
    return keys.getPublic();
  }

  /** A projected token of {@code namespace/serviceAccount}, bound to the pod {@code pod}. */
  public String projected(String namespace, String serviceAccount, String pod, String audience,
      Instant issuedAt, Instant expiresAt) {
    ObjectNode claims = JSON.createObjectNode();
    claims.putArray("aud").add(audience);
    claims.put("exp", expiresAt.getEpochSecond());
    claims.put("iat", issuedAt.getEpochSecond());
    claims.put("nbf", issuedAt.getEpochSecond());
    claims.put("iss", "https://kubernetes.default.svc.cluster.local");
    claims.put("sub", "system:serviceaccount:" + namespace + ":" + serviceAccount);
    ObjectNode k8s = claims.putObject("kubernetes.io");
    k8s.put("namespace", namespace);
    k8s.putObject("pod").put("name", pod).put("uid", "pod-uid-" + pod);
    k8s.putObject("serviceaccount").put("name", serviceAccount)
        .put("uid", "sa-uid-" + namespace + "-" + serviceAccount);
    return sign(claims);
  }

  /** Signs {@code claims} as they are (for tokens with unusual or missing claims). */
  public String sign(ObjectNode claims) {
    try {
      String header = B64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"test\"}"
          .getBytes(StandardCharsets.UTF_8));
      String payload = B64.encodeToString(JSON.writeValueAsBytes(claims));
      Signature signer = Signature.getInstance("SHA256withRSA");
      signer.initSign(keys.getPrivate());
      signer.update((header + "." + payload).getBytes(StandardCharsets.US_ASCII));
      return header + "." + payload + "." + B64.encodeToString(signer.sign());
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
