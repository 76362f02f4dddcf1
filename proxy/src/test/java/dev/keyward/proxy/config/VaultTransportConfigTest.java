package dev.keyward.proxy.config;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vault.address} over plain HTTP: refused at load unless loopback or vault.insecure. */
class VaultTransportConfigTest {

  @TempDir
  Path dir;

  Path config(String vaultBlock) throws Exception {
    Files.writeString(dir.resolve("policy.yaml"), "credentials: []\n");
    Path file = dir.resolve("keyward.yaml");
    Files.writeString(file, String.join("\n", "policy: policy.yaml",
        "kek:", "  transit: {mount: transit, key: keyward-kek}",
        "store:", "  vault: {mount: secret, prefix: keyward}", vaultBlock, ""));
    return file;
  }

  @Test
  void aPlainHttpVaultAddressIsRefusedAtLoadNamingTheSetting() throws Exception {
    ConfigException e = assertThrows(ConfigException.class, () -> KeywardConfig.load(
        config("vault:\n  address: http://vault.example.com:8200"), Map.of()));
    assertTrue(e.getMessage().contains("vault.insecure"), e.getMessage());
  }

  @Test
  void vaultInsecureAcceptsIt() throws Exception {
    assertTrue(KeywardConfig.load(config(
        "vault:\n  address: http://vault.example.com:8200\n  insecure: true"), Map.of())
        .storage().vault().orElseThrow().insecure());
  }
}
