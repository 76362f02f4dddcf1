package dev.keyward.vault;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.vault.VaultContainer;

/**
 * The contract against a real Vault (hashicorp/vault in dev mode) through Testcontainers: KV v2
 * at secret/, a Transit key for the KEK. Skips cleanly where no Docker engine exists; its twin,
 * {@link VaultDoubleCredentialStoreTest}, runs everywhere.
 */
@Testcontainers(disabledWithoutDocker = true)
class VaultContainerCredentialStoreTest extends CredentialStoreContract {

  static final String ROOT_TOKEN = "keyward-test-root";

  @Container
  static final VaultContainer<?> VAULT = new VaultContainer<>("hashicorp/vault:1.18")
      .withVaultToken(ROOT_TOKEN)
      .withInitCommand("secrets enable transit",
          "write -f transit/keys/keyward-kek type=aes256-gcm96");

  ScheduledExecutorService scheduler;
  VaultSession session;
  TransitAead kek;

  @Override
  protected CredentialStore newStore() throws Exception {
    scheduler = Executors.newSingleThreadScheduledExecutor();
    Path token = Files.createTempFile("vault-token", "");
    Files.writeString(token, ROOT_TOKEN);
    session = VaultSession.open(new VaultSettings(VAULT.getHttpHostAddress(), Optional.empty(),
        Optional.empty(), VaultSettings.DEFAULT_TIMEOUT,
        new VaultSettings.TokenAuth(Optional.of(token))), scheduler, Clock.systemUTC());
    kek = new TransitAead(session, "transit", "keyward-kek");
    sealer = new Sealer(kek);
    // Each test gets its own prefix: the container is shared by the class.
    String prefix = "keyward-" + Long.toHexString(System.nanoTime());
    return new VaultCredentialStore(new VaultKvStore(session, "secret", prefix), sealer,
        Clock.systemUTC());
  }

  @Override
  protected void rotateKek() throws Exception {
    kek.rotate();
  }

  @AfterEach
  void closeSession() {
    session.close();
    scheduler.shutdownNow();
  }
}
