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
import org.testcontainers.utility.MountableFile;
import org.testcontainers.vault.VaultContainer;

/**
 * The contract against a real Vault (hashicorp/vault in dev mode) through Testcontainers: KV v2
 * at secret/, a Transit key for the KEK, and the policies Keyward ships (k8s/vault) with an
 * AppRole login holding them, exactly as its twin {@link VaultDoubleCredentialStoreTest} runs them
 * in the double. Each test gets a fresh Vault (the policies fix the prefix to keyward/). Skips
 * cleanly where no Docker engine exists.
 */
@Testcontainers(disabledWithoutDocker = true)
class VaultContainerCredentialStoreTest extends CredentialStoreContract {

  static final String ROOT_TOKEN = "keyward-test-root";
  static final String SECRET_ID = "contract-secret-id-1f2e3d";
  static final Path POLICIES = Path.of("..", "k8s", "vault");

  @Container
  final VaultContainer<?> vault = new VaultContainer<>("hashicorp/vault:1.18")
      .withVaultToken(ROOT_TOKEN)
      .withCopyFileToContainer(policy("keyward-proxy"), "/tmp/keyward-proxy.hcl")
      .withCopyFileToContainer(policy("keyward-operator"), "/tmp/keyward-operator.hcl")
      .withCopyFileToContainer(policy("keyward-kek-rotation"), "/tmp/keyward-kek-rotation.hcl")
      .withInitCommand("secrets enable transit",
          "write -f transit/keys/keyward-kek type=aes256-gcm96",
          "policy write keyward-proxy /tmp/keyward-proxy.hcl",
          "policy write keyward-operator /tmp/keyward-operator.hcl",
          "policy write keyward-kek-rotation /tmp/keyward-kek-rotation.hcl",
          "auth enable approle",
          "write auth/approle/role/operator"
              + " token_policies=keyward-proxy,keyward-operator,keyward-kek-rotation",
          "write auth/approle/role/operator/role-id role_id=operator",
          "write auth/approle/role/operator/custom-secret-id secret_id=" + SECRET_ID);

  ScheduledExecutorService scheduler;
  VaultSession session;
  TransitAead kek;

  static MountableFile policy(String name) {
    return MountableFile.forHostPath(POLICIES.resolve(name + ".hcl").toAbsolutePath());
  }

  @Override
  protected CredentialStore newStore() throws Exception {
    scheduler = Executors.newSingleThreadScheduledExecutor();
    Path secretId = Files.createTempFile("secret-id", "");
    Files.writeString(secretId, SECRET_ID);
    session = VaultSession.open(new VaultSettings(vault.getHttpHostAddress(), Optional.empty(),
        Optional.empty(), VaultSettings.DEFAULT_TIMEOUT, new VaultSettings.AppRoleAuth("approle",
            "operator", Optional.of(secretId)),
        true), // dev-mode Vault speaks plain HTTP, and the Docker host need not be loopback
        scheduler, Clock.systemUTC());
    kek = new TransitAead(session, "transit", "keyward-kek");
    sealer = new Sealer(kek);
    return new VaultCredentialStore(new VaultKvStore(session, "secret", "keyward"), sealer,
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
