package dev.keyward.proxy.forwardproxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.crypto.tink.Aead;
import dev.keyward.vault.KvStore;
import dev.keyward.vault.FileKvStore;
import dev.keyward.vault.LocalKek;
import dev.keyward.vault.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ForwardProxyCaTest {

  @TempDir
  Path dir;

  FileKvStore kv;
  Aead kek;

  @BeforeEach
  void store() throws Exception {
    LocalKek.create(dir.resolve("kek.json"));
    kek = LocalKek.load(dir.resolve("kek.json"));
    kv = new FileKvStore(dir.resolve("store"), Clock.systemUTC());
  }

  @Test
  void theStoreHoldsTheCaKeyOnlySealed() throws Exception {
    ForwardProxyCa ca = ForwardProxyCa.loadOrCreate(kv, kek, Clock.systemUTC());
    String pkcs8 = Base64.getEncoder().encodeToString(ca.key().getEncoded());
    try (Stream<Path> files = Files.walk(dir.resolve("store"))) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        String text = Files.readString(file);
        assertFalse(text.contains(pkcs8), file.toString());
        assertFalse(text.contains(pkcs8.replace("+", "\\u002B")), file.toString());
      }
    }
  }

  @Test
  void everyStartAndEveryReplicaGetsTheSameCa() throws Exception {
    ForwardProxyCa first = ForwardProxyCa.loadOrCreate(kv, kek, Clock.systemUTC());
    ForwardProxyCa again = ForwardProxyCa.loadOrCreate(kv, kek, Clock.systemUTC());
    assertEquals(first.certificate(), again.certificate());
    assertArrayEquals(first.key().getEncoded(), again.key().getEncoded());
    assertEquals(first.certificatePem(), ForwardProxyCa.storedCertificatePem(kv).orElseThrow());
  }

  @Test
  void aKekRotationRewrapsTheCaKeyAndKeepsTheCa() throws Exception {
    ForwardProxyCa before = ForwardProxyCa.loadOrCreate(kv, kek, Clock.systemUTC());
    LocalKek.rotate(dir.resolve("kek.json"));
    Aead rotated = LocalKek.load(dir.resolve("kek.json"));
    assertTrue(ForwardProxyCa.rewrap(kv, rotated));
    assertEquals(before.certificate(), ForwardProxyCa.loadOrCreate(kv, rotated,
        Clock.systemUTC()).certificate());
  }

  /** Replaces the stored CA certificate, keeping the sealed key: a tampered or mixed-up store. */
  private void storeCertificate(X509Certificate certificate) throws Exception {
    KvStore.Document stored = kv.read(ForwardProxyCa.PATH, 0).orElseThrow();
    kv.write(ForwardProxyCa.PATH, Map.of("certificate", ForwardProxyCa.pem(certificate),
        "sealed_key", stored.data().get("sealed_key")), stored.version());
  }

  /** A certificate for the CA's own key, self-signed, with the given basic constraints. */
  private static X509Certificate selfSigned(ForwardProxyCa ca, BasicConstraints constraints)
      throws Exception {
    X500Name subject = new X500Name(ForwardProxyCa.SUBJECT);
    Instant now = Instant.now();
    return ForwardProxyCa.sign(new JcaX509v3CertificateBuilder(subject, ForwardProxyCa.serial(),
        Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(1))), subject,
        ca.certificate().getPublicKey())
        .addExtension(Extension.basicConstraints, true, constraints), ca.key());
  }

  @Test
  void aCertificateThatDoesNotMatchTheSealedKeyIsRefused() throws Exception {
    ForwardProxyCa.loadOrCreate(kv, kek, Clock.systemUTC());
    FileKvStore elsewhere = new FileKvStore(dir.resolve("other-store"), Clock.systemUTC());
    storeCertificate(ForwardProxyCa.loadOrCreate(elsewhere, kek, Clock.systemUTC())
        .certificate());
    GeneralSecurityException e = assertThrows(GeneralSecurityException.class,
        () -> ForwardProxyCa.loadOrCreate(kv, kek, Clock.systemUTC()));
    assertTrue(e.getMessage().contains("does not match"), e.getMessage());
    assertTrue(e.getMessage().contains(ForwardProxyCa.PATH), e.getMessage());
  }

  @Test
  void aCertificateThatIsNotACaIsRefused() throws Exception {
    ForwardProxyCa ca = ForwardProxyCa.loadOrCreate(kv, kek, Clock.systemUTC());
    storeCertificate(selfSigned(ca, new BasicConstraints(false)));
    GeneralSecurityException e = assertThrows(GeneralSecurityException.class,
        () -> ForwardProxyCa.loadOrCreate(kv, kek, Clock.systemUTC()));
    assertTrue(e.getMessage().contains("not a CA"), e.getMessage());
  }

  @Test
  void aCaCertificateWithoutPathLengthZeroIsRefused() throws Exception {
    ForwardProxyCa ca = ForwardProxyCa.loadOrCreate(kv, kek, Clock.systemUTC());
    storeCertificate(selfSigned(ca, new BasicConstraints(true)));
    GeneralSecurityException e = assertThrows(GeneralSecurityException.class,
        () -> ForwardProxyCa.loadOrCreate(kv, kek, Clock.systemUTC()));
    assertTrue(e.getMessage().contains("path length 0"), e.getMessage());
  }

  @Test
  void aLeafNamesExactlyItsHostIsShortLivedAndChainsToTheCa() throws Exception {
    MutableClock clock = new MutableClock(Instant.now());
    ForwardProxyCa ca = ForwardProxyCa.loadOrCreate(kv, kek, clock);
    LeafCertificates leaves = new LeafCertificates(ca, new Tunnels(), clock);
    X509Certificate[] chain = leaves.chainFor("api.github.com");
    X509Certificate leaf = chain[0];
    assertEquals(ca.certificate(), chain[1]);
    leaf.verify(ca.certificate().getPublicKey());
    assertEquals(List.of(List.of(2, "api.github.com")), leaf.getSubjectAlternativeNames()
        .stream().map(name -> List.copyOf(name)).toList());
    assertEquals(-1, leaf.getBasicConstraints());
    assertTrue(Duration.between(leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant())
        .compareTo(Duration.ofHours(26)) < 0);
    assertEquals(leaf, leaves.chainFor("api.github.com")[0]);
    clock.advance(LeafCertificates.REISSUE_AFTER.plusMinutes(1));
    assertFalse(leaf.equals(leaves.chainFor("api.github.com")[0]));
  }
}
