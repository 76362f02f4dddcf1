package dev.keyward.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.keyward.proxy.cli.ExitCodes;
import dev.keyward.proxy.storage.Storage;
import dev.keyward.proxy.testing.Cli;
import dev.keyward.proxy.testing.TestInstallation;
import dev.keyward.vault.Injection;
import dev.keyward.vault.InsecureSecretAccess;
import dev.keyward.vault.Secret;
import dev.keyward.vault.VaultDouble;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/vault.md's KEK rotation, followed to the end: {@code keyward kek rotate}, then the Transit
 * key's {@code min_decryption_version} raised (the double refuses older ciphertexts, as Vault
 * does). Everything Keyward sealed under the KEK was re-wrapped, so it starts and serves.
 */
class VaultKekRotationTest {

  static final String KEY = "sk-kek-rotation-0123456789abcdef";

  @TempDir
  Path dir;

  VaultDouble vault;

  @AfterEach
  void stop() {
    vault.close();
  }

  @Test
  void afterAKekRotationAndRaisingMinDecryptionVersionKeywardStillStartsAndUnseals()
      throws Exception {
    vault = VaultDouble.start();
    TestInstallation installation = new TestInstallation(dir).vault(vault).policy("""
        credentials:
          - id: local
            allowed_domains: ["127.0.0.1"]
            allowed_ports: [9]
            allow_insecure_http: true
            allow_addresses: ["127.0.0.1/32"]
        routes:
          - name: local
            upstream: http://127.0.0.1:9/v1
            credential: local
        grants:
          - tenants: [acme]
            credentials: [local]
        """);
    installation.putCredential("acme", "local", KEY, List.of("127.0.0.1"), Injection.bearer());
    installation.start().close(); // the instance's first start creates its audit signing key

    Cli.Result rotated = Cli.run("kek", "rotate", "--config",
        dir.resolve("keyward.yaml").toString(), "--json");
    assertEquals(ExitCodes.OK, rotated.exit(), rotated.toString());
    assertEquals(1, new JsonObject(rotated.out()).getInteger("rewrapped_audit_keys"),
        rotated.out());
    vault.transitMinDecryptionVersion("keyward-kek", vault.transitLatestVersion("keyward-kek"));

    installation.start().close(); // token signing keys and the audit key unwrap
    try (Storage storage = Storage.open(installation.configuration().storage(),
        Clock.systemUTC());
        Secret secret = storage.sealer().unseal(storage.credentials(Clock.systemUTC())
            .current("acme", "local"))) {
      assertEquals(KEY, secret.text(InsecureSecretAccess.get()));
    }
  }
}
