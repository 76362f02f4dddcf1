package dev.keyward.proxy.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.config.BudgetsConfig;
import dev.keyward.vault.TestCa;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.redis.client.RedisOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Redis client's options as {@code budgets.redis} in keyward.yaml sets them. */
class BudgetStoresTest {

  @TempDir Path dir;

  private static BudgetsConfig.Redis redis(String url, Optional<Path> caCert) {
    return new BudgetsConfig.Redis(url, Optional.empty(), "budgets.internal:6379",
        Duration.ofMillis(250), url.startsWith("rediss:"), caCert);
  }

  @Test
  void aRedissUrlSpeaksTlsAndVerifiesTheHostName() throws Exception {
    NetClientOptions net = BudgetStores.redisOptions(
        redis("rediss://budgets.internal:6379/2", Optional.empty())).getNetClientOptions();
    assertTrue(net.isSsl());
    assertEquals("HTTPS", net.getHostnameVerificationAlgorithm());
    assertFalse(net.isTrustAll());
    assertNull(net.getTrustOptions(), "the JDK's CAs are trusted when no CA is configured");
    assertEquals(250, net.getConnectTimeout());
  }

  @Test
  void aConfiguredCaIsTrustedForTls() throws Exception {
    Path ca = TestCa.create("redis-ca").writePem(dir.resolve("redis-ca.pem"));
    NetClientOptions net = BudgetStores.redisOptions(
        redis("rediss://budgets.internal", Optional.of(ca))).getNetClientOptions();
    assertEquals("HTTPS", net.getHostnameVerificationAlgorithm());
    List<Buffer> trusted = assertInstanceOf(PemTrustOptions.class, net.getTrustOptions())
        .getCertValues();
    assertEquals(List.of(Buffer.buffer(Files.readAllBytes(ca))), trusted);
  }

  @Test
  void aCaFileWithoutACertificateIsRefusedAtStart() throws Exception {
    Path notPem = Files.writeString(dir.resolve("ca.pem"), "not a certificate");
    IOException e = assertThrows(IOException.class, () -> BudgetStores.redisOptions(
        redis("rediss://budgets.internal", Optional.of(notPem))));
    assertTrue(e.getMessage().contains("holds no PEM certificate"), e.getMessage());
  }

  @Test
  void aRedisUrlSpeaksPlainTcp() throws Exception {
    RedisOptions options = BudgetStores.redisOptions(
        redis("redis://budgets.internal:6379", Optional.empty()));
    assertFalse(options.getNetClientOptions().isSsl());
    assertEquals(List.of("redis://budgets.internal:6379"), options.getEndpoints());
  }
}
