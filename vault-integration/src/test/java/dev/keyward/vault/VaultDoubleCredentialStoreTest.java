package dev.keyward.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The contract against the Vault HTTP API double: KV v2 for storage, Transit for the KEK. */
class VaultDoubleCredentialStoreTest extends CredentialStoreContract {

  VaultDouble vault;
  VaultSession session;
  TransitAead kek;
  ScheduledExecutorService scheduler;
  TestClock clock = TestClock.atNow();

  static VaultSettings rootTokenSettings(VaultDouble vault) {
    return new VaultSettings(vault.address(), Optional.empty(), Optional.empty(),
        VaultSettings.DEFAULT_TIMEOUT, new VaultSettings.TokenAuth(Optional.empty()));
  }

  @Override
  protected CredentialStore newStore() throws Exception {
    vault = VaultDouble.start().createTransitKey("keyward-kek").clock(clock);
    scheduler = Executors.newSingleThreadScheduledExecutor();
    session = VaultSessionTest.withToken(vault, VaultDouble.ROOT_TOKEN, scheduler);
    kek = new TransitAead(session, "transit", "keyward-kek");
    sealer = new Sealer(kek);
    return new VaultCredentialStore(new VaultKvStore(session, "secret", "keyward", clock), sealer,
        clock);
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
