package dev.keyward.vault;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Plain HTTP carries Vault tokens and Transit's data keys in the clear: only where that is safe. */
class VaultSettingsTest {

  static VaultSettings settings(String address, boolean insecure) {
    return new VaultSettings(address, Optional.empty(), Optional.empty(),
        VaultSettings.DEFAULT_TIMEOUT, new VaultSettings.TokenAuth(Optional.empty()), insecure);
  }

  @Test
  void aPlainHttpAddressOfAnotherHostIsRefusedWithTheFix() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> settings("http://vault.example.com:8200", false));
    assertTrue(e.getMessage().contains("https://"), e.getMessage());
    assertTrue(e.getMessage().contains("vault.insecure"), e.getMessage());
  }

  @Test
  void plainHttpToALoopbackAddressIsAccepted() {
    for (String address : new String[] {"http://127.0.0.1:8200", "http://localhost:8200",
        "http://[::1]:8200", "http://127.0.0.9:8200"}) {
      assertDoesNotThrow(() -> settings(address, false), address);
    }
  }

  @Test
  void aNameThatOnlyLooksLocalIsNotLoopback() {
    assertThrows(IllegalArgumentException.class,
        () -> settings("http://localhost.attacker.example:8200", false));
    assertThrows(IllegalArgumentException.class, () -> settings("http://127.0.0.1.nip.io", false));
  }

  @Test
  void theInsecureSettingAcceptsPlainHttpAndKeywardSaysSoAtStart() throws Exception {
    assertDoesNotThrow(() -> settings("http://vault.example.com:8200", true));
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    Logger logger = (Logger) LoggerFactory.getLogger("dev.keyward");
    logger.addAppender(logs);
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    try (VaultDouble vault = VaultDouble.start()) {
      java.nio.file.Path token = java.nio.file.Files.createTempFile("vault-token", "");
      java.nio.file.Files.writeString(token, VaultDouble.ROOT_TOKEN);
      VaultSession.open(new VaultSettings(vault.address(), Optional.empty(), Optional.empty(),
          VaultSettings.DEFAULT_TIMEOUT, new VaultSettings.TokenAuth(Optional.of(token)), true),
          scheduler, Clock.systemUTC()).close();
    } finally {
      logger.detachAppender(logs);
      scheduler.shutdownNow();
    }
    assertTrue(logs.list.stream().anyMatch(e -> e.getLevel() == Level.WARN
        && e.getFormattedMessage().contains("vault.insecure")), logs.list.toString());
  }

  @Test
  void httpsNeedsNoSetting() {
    assertDoesNotThrow(() -> settings("https://vault.example.com:8200", false));
    assertFalse(settings("https://vault.example.com:8200", false).insecure());
  }
}
