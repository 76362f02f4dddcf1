package dev.keyward.proxy.config;

import dev.keyward.vault.VaultSettings;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where state lives and which key protects it: the embedded file store or Vault KV v2, and a local
 * KEK keyset or a Vault Transit key. Exactly one of each; Vault settings when either uses Vault.
 */
public record StorageConfig(
    Optional<Path> fileStore,
    Optional<VaultKv> vaultStore,
    Optional<Path> localKek,
    Optional<Transit> transitKek,
    Optional<VaultSettings> vault) {

  /** KV v2 mount and the folder under it that holds everything Keyward writes. */
  public record VaultKv(String mount, String prefix) {}

  /** The Transit mount and key that wrap the data keys. */
  public record Transit(String mount, String key) {}

  public boolean usesVault() {
    return vaultStore.isPresent() || transitKek.isPresent();
  }

  static StorageConfig resolve(ConfigFile raw, Path base, Map<String, String> env,
      List<String> problems) {
    Optional<Path> fileStore = Optional.empty();
    Optional<VaultKv> vaultStore = Optional.empty();
    ConfigFile.Store store = raw.store();
    if (store == null || (store.file() == null) == (store.vault() == null)) {
      problems.add("set exactly one of store.file (the embedded store's directory) or store.vault"
          + " (Vault KV v2: mount and prefix)");
    } else if (store.file() != null) {
      fileStore = Optional.of(base.resolve(store.file()));
    } else {
      vaultStore = Optional.of(new VaultKv(or(store.vault().mount(), "secret"),
          or(store.vault().prefix(), "keyward")));
    }
    Optional<Path> localKek = Optional.empty();
    Optional<Transit> transit = Optional.empty();
    ConfigFile.Kek kek = raw.kek();
    if (kek == null || (kek.local() == null) == (kek.transit() == null)) {
      problems.add("set exactly one of kek.local (a local keyset file) or kek.transit (a Vault"
          + " Transit key: mount and key)");
    } else if (kek.local() != null) {
      localKek = Optional.of(base.resolve(kek.local()));
    } else {
      if (kek.transit().key() == null) {
        problems.add("kek.transit.key is required: the name of the Transit key");
      }
      transit = Optional.of(new Transit(or(kek.transit().mount(), "transit"),
          or(kek.transit().key(), "keyward-kek")));
    }
    Optional<VaultSettings> vault = Optional.empty();
    if (vaultStore.isPresent() || transit.isPresent()) {
      vault = vault(raw.vault(), base, env, problems);
    } else if (raw.vault() != null) {
      problems.add("the vault section is set but neither store.vault nor kek.transit uses it");
    }
    return new StorageConfig(fileStore, vaultStore, localKek, transit, vault);
  }

  private static Optional<VaultSettings> vault(ConfigFile.Vault raw, Path base,
      Map<String, String> env, List<String> problems) {
    ConfigFile.Vault v = raw == null ? new ConfigFile.Vault(null, null, null, null, null, null) : raw;
    String address = or(v.address(), env.get("VAULT_ADDR"));
    if (address == null) {
      problems.add("vault.address (or VAULT_ADDR) is required when Vault is used");
      return Optional.empty();
    }
    Optional<String> namespace = Optional.ofNullable(or(v.namespace(), env.get("VAULT_NAMESPACE")));
    Optional<Path> caCert = Optional.ofNullable(or(v.caCert(), env.get("VAULT_CACERT")))
        .map(base::resolve);
    java.time.Duration timeout = VaultSettings.DEFAULT_TIMEOUT;
    if (v.timeout() != null) {
      try {
        timeout = Durations.parse(v.timeout());
      } catch (IllegalArgumentException e) {
        problems.add("vault.timeout: " + e.getMessage());
      }
    }
    ConfigFile.VaultAuth auth = v.auth() == null
        ? new ConfigFile.VaultAuth("token", null, null, null, null, null, null) : v.auth();
    VaultSettings.Auth method;
    switch (or(auth.method(), "token")) {
      case "token" -> method = new VaultSettings.TokenAuth(
          Optional.ofNullable(auth.tokenFile()).map(base::resolve));
      case "approle" -> {
        if (auth.roleId() == null) {
          problems.add("vault.auth.role_id is required for approle");
        }
        method = new VaultSettings.AppRoleAuth(or(auth.mount(), "approle"), or(auth.roleId(), ""),
            Optional.ofNullable(auth.secretIdFile()).map(base::resolve));
      }
      case "kubernetes" -> {
        if (auth.role() == null) {
          problems.add("vault.auth.role is required for kubernetes");
        }
        method = new VaultSettings.KubernetesAuth(or(auth.mount(), "kubernetes"),
            or(auth.role(), ""), auth.jwtFile() == null ? VaultSettings.KubernetesAuth.DEFAULT_JWT
                : base.resolve(auth.jwtFile()));
      }
      default -> {
        problems.add("vault.auth.method must be token, approle or kubernetes");
        return Optional.empty();
      }
    }
    try {
      return Optional.of(new VaultSettings(address, namespace, caCert, timeout, method,
          Boolean.TRUE.equals(v.insecure())));
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage());
      return Optional.empty();
    }
  }

  private static String or(String value, String fallback) {
    return value == null || value.isBlank() ? fallback : value;
  }
}
