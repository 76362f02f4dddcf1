package dev.keyward.proxy.forwardproxy;

import com.google.crypto.tink.Aead;
import dev.keyward.vault.CasMismatchException;
import dev.keyward.vault.KvException;
import dev.keyward.vault.KvStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The forward proxy's certificate authority: the one key that signs the leaf certificates Keyward
 * presents inside intercepted tunnels. Agent sandboxes trust its certificate; nothing else should.
 * Shared by every replica, in the store under {@value #PATH}: the certificate in the clear, the
 * private key sealed with the KEK (associated data binding it to this use), like the signing keys
 * of tokens and audit logs. Made on the first start with the forward proxy on; {@code keyward kek
 * rotate} re-wraps it. The key is unsealed into memory only by a running Keyward (and the CLI
 * that creates it); it never leaves the process.
 */
public final class ForwardProxyCa {

  public static final String PATH = "forward-proxy/ca";
  static final String SUBJECT = "CN=Keyward forward proxy CA,O=Keyward";
  /** How long the CA certificate is valid; sandboxes trust it that long. */
  public static final Duration VALIDITY = Duration.ofDays(3650);
  private static final byte[] ASSOCIATED_DATA =
      "keyward/forward-proxy-ca/v1".getBytes(StandardCharsets.UTF_8);

  private final X509Certificate certificate;
  private final PrivateKey key;

  private ForwardProxyCa(X509Certificate certificate, PrivateKey key) {
    this.certificate = certificate;
    this.key = key;
  }

  /** The stored CA, made (and stored) now if there is none. Blocks on the store. */
  public static ForwardProxyCa loadOrCreate(KvStore kv, Aead kek, Clock clock)
      throws KvException, GeneralSecurityException {
    Optional<KvStore.Document> stored = kv.read(PATH, 0);
    if (stored.isPresent()) {
      return open(stored.get(), kek);
    }
    ForwardProxyCa created = generate(clock.instant());
    try {
      kv.write(PATH, Map.of("certificate", created.certificatePem(),
          "sealed_key", seal(created.key, kek)), 0);
      return created;
    } catch (CasMismatchException e) {
      return open(kv.read(PATH, 0).orElseThrow(), kek); // another replica was first
    }
  }

  /** The stored CA certificate (PEM), without touching its key; empty before it exists. */
  public static Optional<String> storedCertificatePem(KvStore kv) throws KvException {
    return kv.read(PATH, 0).map(document -> document.data().get("certificate"));
  }

  /** Re-seals the CA key under the KEK's current primary (after a KEK rotation). */
  public static boolean rewrap(KvStore kv, Aead kek) throws KvException, GeneralSecurityException {
    Optional<KvStore.Document> stored = kv.read(PATH, 0);
    if (stored.isEmpty()) {
      return false;
    }
    ForwardProxyCa ca = open(stored.get(), kek);
    kv.write(PATH, Map.of("certificate", ca.certificatePem(), "sealed_key", seal(ca.key, kek)),
        stored.get().version());
    return true;
  }

  public X509Certificate certificate() {
    return certificate;
  }

  PrivateKey key() {
    return key;
  }

  public String certificatePem() {
    return pem(certificate);
  }

  private static ForwardProxyCa open(KvStore.Document document, Aead kek)
      throws GeneralSecurityException {
    String pem = document.data().get("certificate");
    String sealed = document.data().get("sealed_key");
    if (pem == null || sealed == null) {
      throw new GeneralSecurityException(PATH + " holds no forward-proxy CA");
    }
    X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
    byte[] pkcs8 = kek.decrypt(Base64.getDecoder().decode(sealed), ASSOCIATED_DATA);
    try {
      PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
      requireBound(certificate, key);
      return new ForwardProxyCa(certificate, key);
    } finally {
      Arrays.fill(pkcs8, (byte) 0);
    }
  }

  /**
   * The stored certificate must be a CA that signs leaves only (basicConstraints CA, path length
   * 0) and name the public key of the sealed private key: a certificate swapped in the store would
   * otherwise be presented to sandboxes with leaves it does not verify, or make any leaf a CA.
   */
  private static void requireBound(X509Certificate certificate, PrivateKey key)
      throws GeneralSecurityException {
    String fix = "; the store's " + PATH + " is damaged or was tampered with: restore it from a"
        + " backup, or remove it to make a new CA (every sandbox must then trust the new"
        + " certificate)";
    int pathLength = certificate.getBasicConstraints();
    if (pathLength < 0) {
      throw new GeneralSecurityException("the forward-proxy CA certificate is not a CA"
          + " (basicConstraints CA is not set)" + fix);
    }
    if (pathLength != 0) {
      throw new GeneralSecurityException("the forward-proxy CA certificate must have path length"
          + " 0 (it signs leaf certificates only)" + fix);
    }
    byte[] challenge = new byte[32];
    new SecureRandom().nextBytes(challenge);
    Signature signer = Signature.getInstance("SHA256withECDSA");
    signer.initSign(key);
    signer.update(challenge);
    byte[] signature = signer.sign();
    Signature verifier = Signature.getInstance("SHA256withECDSA");
    try {
      verifier.initVerify(certificate.getPublicKey());
      verifier.update(challenge);
      if (verifier.verify(signature)) {
        return;
      }
    } catch (java.security.InvalidKeyException e) {
      // not an EC key: it cannot be the sealed key's
    }
    throw new GeneralSecurityException("the forward-proxy CA certificate's public key does not"
        + " match the sealed private key" + fix);
  }

  private static String seal(PrivateKey key, Aead kek) throws GeneralSecurityException {
    byte[] pkcs8 = key.getEncoded();
    try {
      return Base64.getEncoder().encodeToString(kek.encrypt(pkcs8, ASSOCIATED_DATA));
    } finally {
      Arrays.fill(pkcs8, (byte) 0);
    }
  }

  private static ForwardProxyCa generate(Instant now) throws GeneralSecurityException {
    KeyPair keys = ecKeyPair();
    X500Name subject = new X500Name(SUBJECT);
    try {
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial(),
          Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(VALIDITY)), subject,
          keys.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
          .addExtension(Extension.keyUsage, true,
              new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
          .addExtension(Extension.subjectKeyIdentifier, false,
              extensions.createSubjectKeyIdentifier(keys.getPublic()));
      return new ForwardProxyCa(sign(builder, keys.getPrivate()), keys.getPrivate());
    } catch (CertIOException e) {
      throw new GeneralSecurityException("cannot build the forward-proxy CA certificate", e);
    }
  }

  static KeyPair ecKeyPair() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    return generator.generateKeyPair();
  }

  static BigInteger serial() {
    return new BigInteger(127, new SecureRandom()).add(BigInteger.ONE);
  }

  static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signer)
      throws GeneralSecurityException {
    try {
      ContentSigner contentSigner = new JcaContentSignerBuilder("SHA256withECDSA").build(signer);
      return new JcaX509CertificateConverter().getCertificate(builder.build(contentSigner));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException("cannot sign a certificate", e);
    }
  }

  static String pem(X509Certificate certificate) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(certificate);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toString();
  }
}
