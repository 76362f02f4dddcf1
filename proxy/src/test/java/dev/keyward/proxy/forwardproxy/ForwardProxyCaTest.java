package dev.keyward.proxy.forwardproxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.crypto.tink.Aead;
import dev.keyward.vault.FileKvStore;
import dev.keyward.vault.LocalKek;
import dev.keyward.vault.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
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
