package dev.keyward.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.List;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The contract against the Vault HTTP API double: KV v2 for storage, Transit for the KEK. */
class VaultDoubleCredentialStoreTest extends CredentialStoreContract {

  VaultDouble vault;
  VaultSession session;
  TransitAead kek;
  ScheduledExecutorService scheduler;
  TestClock clock = TestClock.atNow();

  /** The policies Keyward ships (k8s/vault), as setup.sh writes them into Vault. */
  static final Path POLICIES = Path.of("..", "k8s", "vault");
  static final String SECRET_ID = "contract-secret-id-1f2e3d";

  @TempDir
  Path tokens;

  static void installPolicies(VaultDouble vault) throws Exception {
    Map<String, String> accessor = Map.of("AUTH_JWT_ACCESSOR", vault.accessor("jwt"));
    for (String policy : List.of("keyward-proxy", "keyward-operator", "keyward-kek-rotation")) {
      vault.policyFile(policy, POLICIES.resolve(policy + ".hcl"), accessor);
    }
  }

  /** A session whose token holds exactly {@code policies}, logged in by AppRole. */
  VaultSession sessionWith(String roleId, List<String> policies) throws Exception {
    vault.appRole(roleId, roleId, SECRET_ID, policies);
    Path secretId = tokens.resolve(roleId);
    Files.writeString(secretId, SECRET_ID);
    return VaultSession.open(new VaultSettings(vault.address(), Optional.empty(),
        Optional.empty(), VaultSettings.DEFAULT_TIMEOUT, new VaultSettings.AppRoleAuth("approle",
            roleId, Optional.of(secretId))), scheduler, Clock.systemUTC());
  }

  /**
   * The contract runs as an operator at the CLI: keyward-proxy and keyward-operator (what the
   * replicas serving the admin API hold), plus keyward-kek-rotation for {@link #rotateKek()}.
   */
  @Override
  protected CredentialStore newStore() throws Exception {
    vault = VaultDouble.start().createTransitKey("keyward-kek").clock(clock);
    installPolicies(vault);
    scheduler = Executors.newSingleThreadScheduledExecutor();
    session = sessionWith("operator", List.of("keyward-proxy", "keyward-operator",
        "keyward-kek-rotation"));
    kek = new TransitAead(session, "transit", "keyward-kek");
    sealer = new Sealer(kek);
    return new VaultCredentialStore(new VaultKvStore(session, "secret", "keyward", clock), sealer,
        clock);
  }

  @Test
  void underTheProxyPolicyAloneCredentialsUnsealButCannotBeWritten() throws Exception {
    store.create(spec("openrouter"), secret(SECRET_1), "alice");
    try (VaultSession proxy = sessionWith("proxy", List.of("keyward-proxy"))) {
      Sealer proxySealer = new Sealer(new TransitAead(proxy, "transit", "keyward-kek"));
      CredentialStore proxyStore = new VaultCredentialStore(
          new VaultKvStore(proxy, "secret", "keyward", clock), proxySealer, clock);
      try (Secret unsealed = proxySealer.unseal(proxyStore.current(TENANT, "openrouter"))) {
        assertEquals(SECRET_1, unsealed.text(InsecureSecretAccess.get()));
      }
      CredentialStoreException e = assertThrows(CredentialStoreException.class,
          () -> proxyStore.rotate(TENANT, "openrouter", secret(SECRET_2), "mallory"));
      assertTrue(e.getMessage().contains("secret/data/keyward/credentials/acme/openrouter"),
          e.getMessage());
      assertTrue(e.getMessage().contains("update"), e.getMessage());
      assertEquals(2, vault.calls("login.approle"), "a denial made the proxy log in again");
    }
  }

  @Override
  protected void rotateKek() throws Exception {
    kek.rotate();
  }

  @AfterEach
  void stopVault() {
    session.close();
    scheduler.shutdownNow();
    vault.close();
  }

  @Test
  void versionsWhoseDeletionTimeIsInTheFutureStayLive() throws Exception {
    vault.kvDeleteVersionAfter("secret", Duration.ofDays(30)); // every version gets a deletion_time
    store.create(spec("openrouter"), secret(SECRET_1), "alice");
    store.rotate(TENANT, "openrouter", secret(SECRET_2), "bob");
    assertEquals(List.of(1, 2), store.history(TENANT, "openrouter").stream()
        .map(CredentialMetadata::version).toList());
    store.destroyVersion(TENANT, "openrouter", 1, "alice");
    assertEquals(List.of(2), store.history(TENANT, "openrouter").stream()
        .map(CredentialMetadata::version).toList());
  }

  @Test
  void aVersionPastItsDeletionTimeIsGone() throws Exception {
    vault.kvDeleteVersionAfter("secret", Duration.ofHours(1));
    store.create(spec("openrouter"), secret(SECRET_1), "alice");
    clock.advance(Duration.ofHours(2));
    assertEquals(List.of(), store.history(TENANT, "openrouter"));
    CredentialStoreException e = assertThrows(CredentialStoreException.class,
        () -> store.current(TENANT, "openrouter"));
    assertEquals(CredentialStoreException.Reason.NOT_FOUND, e.reason());
  }

  @Test
  void allowedDomainsEditedInVaultsStorageFailToUnseal() throws Exception {
    store.create(spec("openrouter"), secret(SECRET_1), "alice");
    vault.tamper("secret", "keyward/credentials/acme/openrouter", 1, "allowed_domains",
        "[\"*.openrouter.ai\",\"collector.attacker.example\"]");
    SealedCredential tampered = store.current(TENANT, "openrouter");
    assertEquals(List.of("*.openrouter.ai", "collector.attacker.example"),
        tampered.metadata().spec().allowedDomains());
    assertThrows(java.security.GeneralSecurityException.class, () -> sealer.unseal(tampered));
  }

  @Test
  void vaultNeverStoresThePlaintextKey() throws Exception {
    store.create(spec("openrouter"), secret(SECRET_1), "alice");
    store.rotate(TENANT, "openrouter", secret(SECRET_2), "alice");
    String stored = vault.rawKv();
    assertTrue(stored.contains("secret/keyward/credentials/acme/openrouter"), stored);
    for (String secret : new String[] {SECRET_1, SECRET_2}) {
      assertFalse(stored.contains(secret));
      assertFalse(stored.contains(Base64.getEncoder().encodeToString(
          secret.getBytes(StandardCharsets.US_ASCII))));
    }
  }

  @Test
  void theDataKeyIsWrappedByTransitSoKvReadersSeeOnlyCiphertext() throws Exception {
    store.create(spec("openrouter"), secret(SECRET_1), "alice");
    SealedCredential sealed = store.current(TENANT, "openrouter");
    // The wrapped data key holds a Transit ciphertext: without the Transit key it cannot be opened.
    Sealer withoutTransit = new Sealer(LocalKekTest.newKek());
    org.junit.jupiter.api.Assertions.assertThrows(java.security.GeneralSecurityException.class,
        () -> withoutTransit.unseal(sealed));
    assertTrue(vault.calls("transit.encrypt") >= 1);
  }
}
