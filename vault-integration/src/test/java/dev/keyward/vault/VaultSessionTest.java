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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

class VaultSessionTest {

  static final String ROLE_ID = "keyward-role";
  static final String SECRET_ID = "approle-secret-id-6b1c2d3e";
  static final TestJwt CLUSTER = TestJwt.issuer();
  static final String READ_ONLY = """
      path "secret/data/keyward/*" { capabilities = ["read"] }
      path "secret/metadata/keyward/*" { capabilities = ["read", "list"] }
      """;

  @TempDir
  Path dir;

  VaultDouble vault;
  ScheduledExecutorService scheduler;
  ListAppender<ILoggingEvent> logs;
  TestClock clock = TestClock.atNow();
  ManualScheduler manual = new ManualScheduler(clock);

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

  VaultSettings appRoleSettings(String roleId, String secretId) throws IOException {
    Path file = dir.resolve("secret-id");
    Files.writeString(file, secretId);
    return new VaultSettings(vault.address(), Optional.empty(), Optional.empty(),
        VaultSettings.DEFAULT_TIMEOUT, new VaultSettings.AppRoleAuth("approle", roleId,
            Optional.of(file)));
  }

  VaultSession appRole(String secretId) throws Exception {
    return VaultSession.open(appRoleSettings(ROLE_ID, secretId), scheduler, Clock.systemUTC());
  }

  /** An AppRole session whose renewals run when the test moves {@link #clock}. */
  VaultSession appRoleOnTestClock() throws Exception {
    vault.clock(clock);
    return VaultSession.open(appRoleSettings(ROLE_ID, SECRET_ID), manual, clock);
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
    try (VaultSession session = appRoleOnTestClock()) {
      manual.advance(Duration.ofSeconds(1)); // half the token's life
      assertTrue(vault.calls("token.renew-self") >= 1, "no renewal at half of a 2 s token");
      manual.advance(Duration.ofMillis(1200)); // past the original expiry: the renewed token works
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
  void aPolicyDenialIsAClearErrorNamingThePathAndTheCapabilityAndLogsInNoMore()
      throws Exception {
    vault.policy("read-only", READ_ONLY).appRole("reader", "reader-role", SECRET_ID,
        List.of("read-only"));
    try (VaultSession session = VaultSession.open(appRoleSettings("reader-role", SECRET_ID),
        scheduler, Clock.systemUTC())) {
      KvException e = assertThrows(KvException.class, () -> touch(session));
      assertTrue(e.getMessage().contains("secret/data/keyward/probe/x"), e.getMessage());
      assertTrue(e.getMessage().contains("create"), e.getMessage());
      assertTrue(e.getMessage().contains("HTTP 403"), e.getMessage());
      assertThrows(KvException.class, () -> touch(session));
      assertEquals(1, vault.calls("login.approle"), "a denial is not an expired token");
    }
  }

  /** A session under {@link #READ_ONLY}, whose writes Vault denies while its token is valid. */
  VaultSession readOnly(Duration timeout) throws Exception {
    vault.policy("read-only", READ_ONLY).appRole("reader", "reader-role", SECRET_ID,
        List.of("read-only"));
    VaultSettings settings = appRoleSettings("reader-role", SECRET_ID);
    return VaultSession.open(new VaultSettings(settings.address(), settings.namespace(),
        settings.caCert(), timeout, settings.auth()), scheduler, Clock.systemUTC());
  }

  @ParameterizedTest(name = "lookup-self answers {0}")
  @ValueSource(ints = {429, 503})
  void aDenialWhoseTokenCheckFailsIsUnavailableAndNeverALogin(int status) throws Exception {
    try (VaultSession session = readOnly(VaultSettings.DEFAULT_TIMEOUT)) {
      vault.failNextOn("auth/token/lookup-self", 1, status);
      KvException e = assertThrows(KvException.class, () -> touch(session));
      assertTrue(e.getMessage().contains("token lookup failed (HTTP " + status), e.getMessage());
      assertFalse(e instanceof VaultSession.PermissionDeniedException, e.getMessage());
      assertEquals(1, vault.calls("login.approle"), "a failed token check led to a login");
      assertEquals(1, vault.liveLoginTokens(), "the valid token was revoked");
    }
  }

  @Test
  void aDenialWhoseTokenCheckTimesOutIsUnavailableAndNeverALogin() throws Exception {
    try (VaultSession session = readOnly(Duration.ofSeconds(1))) {
      vault.latencyOn("auth/token/lookup-self", Duration.ofSeconds(3)); // past the 1 s timeout
      KvException e = assertThrows(KvException.class, () -> touch(session));
      assertTrue(e.getMessage().contains("token lookup failed (no HTTP response"), e.getMessage());
      assertEquals(1, vault.calls("login.approle"), "a timed-out token check led to a login");
      assertEquals(1, vault.liveLoginTokens(), "the valid token was revoked");
    }
  }

  @Test
  void callsThatFindTheTokenExpiredTogetherShareOneLogin() throws Exception {
    int callers = 6;
    try (VaultSession session = appRole(SECRET_ID)) {
      vault.expireLoginTokens();
      vault.latency(Duration.ofMillis(300)); // every caller's request is in flight at once
      ExecutorService pool = Executors.newFixedThreadPool(callers);
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> results = new ArrayList<>();
      for (int i = 0; i < callers; i++) {
        int n = i;
        results.add(pool.submit(() -> {
          start.await();
          return new VaultKvStore(session, "secret", "keyward").read("probe/" + n, 0);
        }));
      }
      start.countDown();
      for (Future<?> result : results) {
        result.get(30, TimeUnit.SECONDS);
      }
      pool.shutdownNow();
      assertEquals(2, vault.calls("login.approle"), "one login at start, one for every caller");
    }
  }

  @Test
  void theTokenReplacedByALoginIsRevoked() throws Exception {
    vault.loginTtl(Duration.ofSeconds(60)).loginMaxTtl(Duration.ofSeconds(100));
    try (VaultSession session = appRoleOnTestClock()) {
      manual.advance(Duration.ofSeconds(85)); // renewed twice, the second capped: a new login
      assertEquals(2, vault.calls("login.approle"));
      assertEquals(1, vault.liveLoginTokens(), "the replaced token is still alive");
    }
  }

  @Test
  void closingRevokesTheTokenTheSessionLoggedInWith() throws Exception {
    VaultSession session = appRole(SECRET_ID);
    assertEquals(1, vault.liveLoginTokens());
    session.close();
    assertEquals(0, vault.liveLoginTokens());
  }

  @Test
  void closingLeavesATokenThatWasGivenToKeywardAlone() throws Exception {
    withToken(vault, VaultDouble.ROOT_TOKEN, scheduler).close();
    assertEquals(0, vault.calls("token.revoke-self"), "Keyward revoked a token it does not own");
  }

  @Test
  void pastTheMaxTtlRenewalGivesWayToALoginBeforeTheTokenExpires() throws Exception {
    vault.loginTtl(Duration.ofSeconds(60)).loginMaxTtl(Duration.ofSeconds(100));
    try (VaultSession session = appRoleOnTestClock()) {
      manual.advance(Duration.ofSeconds(101)); // the first token cannot live past 100 s
      assertEquals(2, vault.calls("login.approle"), "renewal never fell back to a login");
      int before = vault.calls("login.approle");
      touch(session);
      assertEquals(before, vault.calls("login.approle"), "the call had to log in itself");
    }
  }

  @Test
  void aFailedRenewalLogsInAgain() throws Exception {
    vault.loginTtl(Duration.ofSeconds(60));
    try (VaultSession session = appRoleOnTestClock()) {
      vault.failNext(1, 500); // the renewal at 30 s
      manual.advance(Duration.ofSeconds(30));
      assertEquals(2, vault.calls("login.approle"), "a failed renewal was retried as a renewal");
      touch(session);
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
  void aPreconditionFailedAnswerFromAStandbyIsRetried() throws Exception {
    try (VaultSession session = appRole(SECRET_ID)) {
      vault.failNext(2, 412);
      touch(session);
      assertEquals(1, vault.calls("kv.write"));
    }
  }

  @Test
  void aSealedVaultIsAnUnavailableErrorNotAReasonToLogIn() throws Exception {
    try (VaultSession session = appRole(SECRET_ID)) {
      vault.sealed(true);
      KvException e = assertThrows(KvException.class, () -> touch(session));
      assertTrue(e.getMessage().contains("HTTP 503: Vault is sealed"), e.getMessage());
      assertEquals(1, vault.calls("login.approle"));
    }
  }

  @Test
  void aRateLimitedCallFailsWithoutALogin() throws Exception {
    try (VaultSession session = appRole(SECRET_ID)) {
      vault.failNext(1, 429);
      KvException e = assertThrows(KvException.class, () -> touch(session));
      assertTrue(e.getMessage().contains("HTTP 429: rate limited"), e.getMessage());
      assertEquals(1, vault.calls("login.approle"));
    }
  }

  @Test
  void aStandbyRedirectIsNotFollowedWithTheToken() throws Exception {
    try (VaultDouble active = VaultDouble.start();
        VaultSession session = appRole(SECRET_ID)) {
      vault.standbyRedirectingTo(active.address());
      KvException e = assertThrows(KvException.class, () -> touch(session));
      assertTrue(e.getMessage().contains("HTTP 307"), e.getMessage());
      assertTrue(e.getMessage().contains("vault.address"), e.getMessage());
      assertEquals(0, active.calls("kv.metadata") + active.calls("token.lookup-self"),
          "the token was sent where the redirect pointed");
      vault.standbyRedirectingTo(null);
    }
  }

  VaultSettings rootOver(VaultDouble tlsVault, Optional<Path> ca) throws IOException {
    Path token = dir.resolve("root-token");
    Files.writeString(token, VaultDouble.ROOT_TOKEN);
    return new VaultSettings(tlsVault.address(), Optional.empty(), ca,
        VaultSettings.DEFAULT_TIMEOUT, new VaultSettings.TokenAuth(Optional.of(token)));
  }

  @Test
  void overTlsAVaultCertifiedByTheConfiguredCaIsReached() throws Exception {
    TestCa ca = TestCa.create("vault-test-ca");
    try (VaultDouble tlsVault = VaultDouble.startTls(ca, "localhost");
        VaultSession session = VaultSession.open(rootOver(tlsVault,
            Optional.of(ca.writePem(dir.resolve("ca.pem")))), scheduler, Clock.systemUTC())) {
      touch(session);
      assertEquals(1, tlsVault.calls("kv.write"));
    }
  }

  @Test
  void overTlsACertificateForAnotherHostNameIsRefused() throws Exception {
    TestCa ca = TestCa.create("vault-test-ca");
    try (VaultDouble tlsVault = VaultDouble.startTls(ca, "vault.elsewhere.example")) {
      KvException e = assertThrows(KvException.class, () -> VaultSession.open(rootOver(tlsVault,
          Optional.of(ca.writePem(dir.resolve("ca.pem")))), scheduler, Clock.systemUTC()));
      assertTrue(e.getMessage().contains("no HTTP response"), e.getMessage());
      assertEquals(0, tlsVault.calls("token.lookup-self"));
    }
  }

  @Test
  void overTlsAnUntrustedCaIsRefused() throws Exception {
    TestCa ca = TestCa.create("vault-test-ca");
    try (VaultDouble tlsVault = VaultDouble.startTls(ca, "localhost")) {
      assertThrows(KvException.class, () -> VaultSession.open(rootOver(tlsVault,
          Optional.empty()), scheduler, Clock.systemUTC()));
      assertEquals(0, tlsVault.calls("token.lookup-self"));
    }
  }

  /** A Kubernetes login with the token {@code jwt} (in a file, as the projected volume holds it). */
  VaultSession kubernetesLogin(String role, String jwt) throws Exception {
    Path file = dir.resolve("token-" + System.nanoTime());
    Files.writeString(file, jwt);
    return VaultSession.open(new VaultSettings(vault.address(), Optional.empty(),
        Optional.empty(), VaultSettings.DEFAULT_TIMEOUT,
        new VaultSettings.KubernetesAuth("kubernetes", role, file)), scheduler, Clock.systemUTC());
  }

  String podToken(TestJwt issuer, String audience, Instant expires) {
    return issuer.projected("keyward", "keyward", "keyward-0", audience,
        expires.minusSeconds(3600), expires);
  }

  @Test
  void aKubernetesLoginForAnUnknownRoleIsABadRequest() {
    KvException e = assertThrows(KvException.class, () -> kubernetesLogin("no-such-role",
        podToken(CLUSTER, "vault", Instant.now().plusSeconds(600))));
    assertTrue(e.getMessage().contains("HTTP 400"), e.getMessage());
  }

  @Test
  void aKubernetesLoginWithATokenFromAnotherIssuerIsForbidden() {
    KvException e = assertThrows(KvException.class, () -> kubernetesLogin("keyward",
        podToken(TestJwt.issuer(), "vault", Instant.now().plusSeconds(600))));
    assertTrue(e.getMessage().contains("HTTP 403"), e.getMessage());
  }

  @Test
  void aKubernetesLoginWithAnotherAudienceIsForbidden() {
    KvException e = assertThrows(KvException.class, () -> kubernetesLogin("keyward",
        podToken(CLUSTER, "kubernetes", Instant.now().plusSeconds(600))));
    assertTrue(e.getMessage().contains("HTTP 403"), e.getMessage());
  }

  @Test
  void aKubernetesLoginWithAnExpiredTokenIsForbidden() {
    KvException e = assertThrows(KvException.class, () -> kubernetesLogin("keyward",
        podToken(CLUSTER, "vault", Instant.now().minusSeconds(5))));
    assertTrue(e.getMessage().contains("HTTP 403"), e.getMessage());
    assertEquals(1, vault.calls("login.kubernetes"));
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
