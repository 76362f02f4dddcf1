package dev.keyward.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class VaultSessionTest {

  static final String ROLE_ID = "keyward-role";
  static final String SECRET_ID = "approle-secret-id-6b1c2d3e";
  static final TestJwt CLUSTER = TestJwt.issuer();

  @TempDir
  Path dir;

  VaultDouble vault;
  ScheduledExecutorService scheduler;
  ListAppender<ILoggingEvent> logs;

  @BeforeEach
  void setUp() throws Exception {
    vault = VaultDouble.start().appRole(ROLE_ID, SECRET_ID).kubernetes("keyward", CLUSTER);
    scheduler = Executors.newSingleThreadScheduledExecutor();
    logs = new ListAppender<>();
    logs.start();
    ((Logger) LoggerFactory.getLogger("dev.keyward")).addAppender(logs);
  }

  @AfterEach
  void tearDown() {
    ((Logger) LoggerFactory.getLogger("dev.keyward")).detachAppender(logs);
    scheduler.shutdownNow();
    vault.close();
  }

  /** A session that logs in with {@code token} (written to a file, as a Vault Agent sink does). */
  static VaultSession withToken(VaultDouble vault, String token, ScheduledExecutorService scheduler)
      throws IOException, KvException {
    Path file = Files.createTempFile("vault-token", "");
    Files.writeString(file, token + "\n");
    return VaultSession.open(new VaultSettings(vault.address(), Optional.empty(), Optional.empty(),
        VaultSettings.DEFAULT_TIMEOUT, new VaultSettings.TokenAuth(Optional.of(file))), scheduler,
        Clock.systemUTC());
  }

  VaultSession appRole(String secretId) throws Exception {
    Path file = dir.resolve("secret-id");
    Files.writeString(file, secretId);
    return VaultSession.open(new VaultSettings(vault.address(), Optional.empty(), Optional.empty(),
        VaultSettings.DEFAULT_TIMEOUT, new VaultSettings.AppRoleAuth("approle", ROLE_ID,
            Optional.of(file))), scheduler, Clock.systemUTC());
  }

  static void touch(VaultSession session) throws KvException {
    new VaultKvStore(session, "secret", "keyward").write("probe/x", Map.of("k", "v"),
        new VaultKvStore(session, "secret", "keyward").metadata("probe/x")
            .map(KvStore.Metadata::currentVersion).orElse(0));
  }

  String allLogs() {
    return String.join("\n", logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList());
  }

  @Test
  void aTokenFromAFileIsLookedUpAndUsed() throws Exception {
    try (VaultSession session = withToken(vault, VaultDouble.ROOT_TOKEN, scheduler)) {
      touch(session);
      assertEquals(1, vault.calls("token.lookup-self"));
      assertEquals(1, vault.calls("kv.write"));
    }
  }

  @Test
  void appRoleLogsInWithRoleIdAndSecretId() throws Exception {
    try (VaultSession session = appRole(SECRET_ID)) {
      touch(session);
      assertEquals(1, vault.calls("login.approle"));
    }
  }

  @Test
  void kubernetesLogsInWithTheServiceAccountTokenFromItsFile() throws Exception {
    Path jwt = dir.resolve("token");
    Files.writeString(jwt, CLUSTER.projected("keyward", "keyward", "keyward-0", "vault",
        Instant.now(), Instant.now().plusSeconds(3600)));
    try (VaultSession session = VaultSession.open(new VaultSettings(vault.address(),
        Optional.empty(), Optional.empty(), VaultSettings.DEFAULT_TIMEOUT,
        new VaultSettings.KubernetesAuth("kubernetes", "keyward", jwt)), scheduler,
        Clock.systemUTC())) {
      touch(session);
      assertEquals(1, vault.calls("login.kubernetes"));
    }
  }

  @Test
  void aRefusedLoginIsAClearErrorThatNeverShowsTheSecret() {
    KvException e = assertThrows(KvException.class, () -> appRole("wrong-secret-id-123"));
    assertTrue(e.getMessage().contains("HTTP 400"), e.getMessage());
    assertFalse(e.getMessage().contains("wrong-secret-id-123"));
    assertFalse(allLogs().contains("wrong-secret-id-123"));
  }

  @Test
  void theTokenIsRenewedBeforeItExpires() throws Exception {
    vault.loginTtl(Duration.ofSeconds(2));
    try (VaultSession session = appRole(SECRET_ID)) {
      for (int i = 0; i < 40 && vault.calls("token.renew-self") == 0; i++) {
        Thread.sleep(100);
      }
      assertTrue(vault.calls("token.renew-self") >= 1, "no renewal within 4 s of a 2 s token");
      Thread.sleep(1200); // past the original expiry: the renewed token still works
      touch(session);
      assertEquals(1, vault.calls("login.approle"));
    }
  }

  @Test
  void aRejectedTokenLeadsToAFreshLoginAndTheCallSucceeds() throws Exception {
    try (VaultSession session = appRole(SECRET_ID)) {
      vault.expireLoginTokens();
      touch(session);
      assertEquals(2, vault.calls("login.approle"));
    }
  }

  @Test
  void theNamespaceIsSentWithEveryCall() throws Exception {
    vault.requireNamespace("team-a");
    Path file = dir.resolve("secret-id");
    Files.writeString(file, SECRET_ID);
    try (VaultSession session = VaultSession.open(new VaultSettings(vault.address(),
        Optional.of("team-a"), Optional.empty(), VaultSettings.DEFAULT_TIMEOUT,
        new VaultSettings.AppRoleAuth("approle", ROLE_ID, Optional.of(file))), scheduler,
        Clock.systemUTC())) {
      touch(session);
    }
    assertThrows(KvException.class, () -> appRole(SECRET_ID));
  }

  @Test
  void vaultDownIsAClearErrorWithoutTheToken() throws Exception {
    try (VaultSession session = withToken(vault, VaultDouble.ROOT_TOKEN, scheduler)) {
      vault.down();
      KvException e = assertThrows(KvException.class, () -> touch(session));
      assertTrue(e.getMessage().contains("no HTTP response"), e.getMessage());
      assertFalse(e.getMessage().contains(VaultDouble.ROOT_TOKEN));
    }
    assertFalse(allLogs().contains(VaultDouble.ROOT_TOKEN), "a log line showed the Vault token");
  }
}
