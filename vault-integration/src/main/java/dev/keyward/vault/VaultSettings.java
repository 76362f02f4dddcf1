package dev.keyward.vault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How to reach and log in to Vault. Values come from the configuration file, falling back to
 * Vault's usual environment variables ({@code VAULT_ADDR}, {@code VAULT_NAMESPACE}, {@code
 * VAULT_CACERT}, {@code VAULT_TOKEN}).
 *
 * @param caCert PEM file of the CA that signed Vault's certificate; empty means the JDK's CAs
 * @param insecure accept a plain {@code http://} address of a host other than loopback. Transit
 *     requests carry data keys, and logins the AppRole secret id and the token, so without TLS
 *     anyone on the path reads them: off by default, and Keyward warns at start when it is on.
 */
public record VaultSettings(String address, Optional<String> namespace, Optional<Path> caCert,
    Duration timeout, Auth auth, boolean insecure) {

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

  public VaultSettings {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(auth, "auth");
    if (!address.startsWith("https://") && !address.startsWith("http://")) {
      throw new IllegalArgumentException("vault.address must be an http(s):// URL");
    }
    if (address.startsWith("http://") && !insecure && !LoopbackHosts.isLoopback(host(address))) {
      throw new IllegalArgumentException("vault.address " + address + " is plain HTTP: Vault"
          + " tokens and the data keys sent to Transit would cross the network in the clear; use"
          + " https:// (with vault.ca_cert for a private CA), or set vault.insecure: true to"
          + " accept that (plain HTTP to a loopback address needs no setting)");
    }
    address = address.endsWith("/") ? address.substring(0, address.length() - 1) : address;
  }

  public VaultSettings(String address, Optional<String> namespace, Optional<Path> caCert,
      Duration timeout, Auth auth) {
    this(address, namespace, caCert, timeout, auth, false);
  }

  /** True when the address names the loopback interface. */
  public boolean loopback() {
    return LoopbackHosts.isLoopback(host(address));
  }

  /** True when Vault is reached without TLS. */
  public boolean plainHttp() {
    return address.startsWith("http://");
  }

  private static String host(String address) {
    try {
      return java.net.URI.create(address).getHost();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("vault.address " + address + " is not a valid URL");
    }
  }

  /** How Keyward logs in. Secrets are read from files or the environment, never config values. */
  public sealed interface Auth permits TokenAuth, AppRoleAuth, KubernetesAuth {}

  /**
   * A Vault token from {@code VAULT_TOKEN} or a file (e.g. a Vault Agent sink), re-read from the
   * file when Vault answers 403.
   */
  public record TokenAuth(Optional<Path> tokenFile) implements Auth {}

  /** AppRole: a role id and a secret id (read from a file or {@code KEYWARD_VAULT_SECRET_ID}). */
  public record AppRoleAuth(String mount, String roleId, Optional<Path> secretIdFile)
      implements Auth {}

  /** Kubernetes: the pod's service-account token, re-read at every login (it rotates). */
  public record KubernetesAuth(String mount, String role, Path jwtFile) implements Auth {

    public static final Path DEFAULT_JWT =
        Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token");
  }
}
