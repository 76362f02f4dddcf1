package dev.keyward.vault;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority made in the test, and server certificates it signs: what a Vault
 * deployment's private CA is to Keyward ({@code vault.ca_cert}).
 */
public final class TestCa {

  private final KeyPair keys;
  private final X509Certificate certificate;

  private TestCa(KeyPair keys, X509Certificate certificate) {
    this.keys = keys;
    this.certificate = certificate;
  }

  public static TestCa create(String name) {
    try {
      KeyPair keys = ecKeys();
      X500Name subject = new X500Name("CN=" + name);
      JcaX509v3CertificateBuilder builder = builder(subject, subject, keys);
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      builder.addExtension(Extension.keyUsage, true,
          new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      return new TestCa(keys, sign(builder, keys));
    } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes the CA certificate as PEM, as {@code vault.ca_cert} expects. */
  public Path writePem(Path file) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(certificate);
    }
    Files.writeString(file, out.toString());
    return file;
  }

  /** A server's TLS context with a certificate for {@code names} (DNS names or IPs) signed here. */
  public SSLContext serverContext(String... names) {
    try {
      KeyPair server = ecKeys();
      JcaX509v3CertificateBuilder builder = builder(new X500Name("CN=" + names[0]),
          new X500Name(certificate.getSubjectX500Principal().getName()), server);
      List<GeneralName> sans = new ArrayList<>();
      for (String name : names) {
        boolean ip = name.matches("[0-9.]+") || name.contains(":");
        sans.add(ip ? new GeneralName(GeneralName.iPAddress,
            InetAddress.getByName(name).getHostAddress())
            : new GeneralName(GeneralName.dNSName, name));
      }
      builder.addExtension(Extension.subjectAlternativeName, false,
          new GeneralNames(sans.toArray(new GeneralName[0])));
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(Extension.extendedKeyUsage, false,
          new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
      X509Certificate leaf = sign(builder, keys);
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      char[] password = "test".toCharArray();
      store.setKeyEntry("server", server.getPrivate(), password,
          new Certificate[] {leaf, certificate});
      KeyManagerFactory keyManagers =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keyManagers.init(store, password);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keyManagers.getKeyManagers(), null, new SecureRandom());
      return context;
    } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException(e);
    }
  }

  private static KeyPair ecKeys() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(256);
    return generator.generateKeyPair();
  }

  private static JcaX509v3CertificateBuilder builder(X500Name subject, X500Name issuer,
      KeyPair subjectKeys) {
    Instant now = Instant.now();
    return new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, new SecureRandom()),
        Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(2))),
        subject, subjectKeys.getPublic());
  }

  private static X509Certificate sign(JcaX509v3CertificateBuilder builder, KeyPair issuerKeys)
      throws GeneralSecurityException, OperatorCreationException {
    return new JcaX509CertificateConverter().getCertificate(
        builder.build(new JcaContentSignerBuilder("SHA256withECDSA")
            .build(issuerKeys.getPrivate())));
  }
}
