package dev.keyward.proxy.testing;

import dev.keyward.proxy.Keyward;
import dev.keyward.proxy.config.KeywardConfig;
import dev.keyward.proxy.forward.HostResolver;
import dev.keyward.proxy.storage.Storage;
import dev.keyward.token.AgentRegistry;
import dev.keyward.token.IssuedOperatorToken;
import dev.keyward.token.IssuedToken;
import dev.keyward.token.Purpose;
import dev.keyward.token.RevocationStore;
import dev.keyward.token.Role;
import dev.keyward.token.SigningKeyStore;
import dev.keyward.token.SigningKeys;
import dev.keyward.token.TokenIssuer;
import dev.keyward.token.TokenRequest;
import dev.keyward.vault.CredentialMetadata;
import dev.keyward.vault.CredentialSpec;
import dev.keyward.vault.CredentialStore;
import dev.keyward.vault.Injection;
import dev.keyward.vault.LocalKek;
import dev.keyward.vault.Secret;
import dev.keyward.vault.VaultDouble;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A complete Keyward installation in a temporary directory, on the embedded store or on Vault (the
 * HTTP API double), with helpers to store credentials, mint tokens and start the real server. The
 * helpers open the installation's storage exactly as the CLI does.
 */
public final class TestInstallation {

  public static final String ISSUER = "keyward-test";
  /** Where the installation's Keyward writes its audit log, relative to {@link #dir()}. */
  public static final String AUDIT_FILE = "audit/audit.jsonl";
  /** The audit instance of the installation's Keyward, unless a test sets its own audit block. */
  public static final String INSTANCE = "keyward-test";

  private final Path dir;
  private String extraConfig = "";
  private String refreshInterval = "100ms";
  private Path jwks;
  private VaultDouble vault;
  private String vaultAuth = String.join("\n", "    method: token", "    token_file: vault-token");
  private Path vaultCa;
  private Storage shared;

  public TestInstallation(Path dir) throws Exception {
    this.dir = dir;
    LocalKek.create(dir.resolve("kek.json"));
  }

  public Path dir() {
    return dir;
  }

  public TestInstallation policy(String yaml) throws Exception {
    Files.writeString(dir.resolve("policy.yaml"), yaml);
    return this;
  }

  /** How often a running Keyward re-reads revocations and signing keys (default 100ms here). */
  public TestInstallation refreshInterval(String interval) {
    this.refreshInterval = interval;
    return this;
  }

  /** Extra top-level blocks appended to the generated config, e.g. an {@code upstream:} block. */
  public TestInstallation config(String yaml) {
    this.extraConfig = extraConfig + yaml + (yaml.endsWith("\n") ? "" : "\n");
    return this;
  }

  /** Keep credentials in Vault KV v2 and wrap them with a Transit key, both in {@code double}. */
  public TestInstallation vault(VaultDouble vaultDouble) throws Exception {
    this.vault = vaultDouble.createTransitKey("keyward-kek");
    Files.writeString(dir.resolve("vault-token"), VaultDouble.ROOT_TOKEN);
    return this;
  }

  /** How Keyward logs in to Vault: the lines under {@code vault.auth}, indented four spaces. */
  public TestInstallation vaultAuth(String lines) {
    this.vaultAuth = lines;
    return this;
  }

  /** The CA that signed the Vault double's certificate ({@code vault.ca_cert}). */
  public TestInstallation vaultCa(Path pem) {
    this.vaultCa = pem;
    return this;
  }

  /** Verify only, with the public keys in {@code jwksFile}; this installation cannot mint. */
  public TestInstallation verifyOnly(Path jwksFile) {
    this.jwks = jwksFile;
    return this;
  }

  /** Trust {@code tls}'s certificate for upstream connections. */
  public TestInstallation trust(TestTls tls) {
    return config("upstream:\n  trust_ca: [\"" + tls.certificate() + "\"]\n");
  }

  public KeywardConfig configuration() throws Exception {
    Path file = dir.resolve("keyward.yaml");
    String storage = vault == null
        ? String.join("\n", "kek:", "  local: kek.json", "store:", "  file: store")
        : String.join("\n", "kek:", "  transit:", "    key: keyward-kek",
            "store:", "  vault:", "    mount: secret", "    prefix: keyward",
            "vault:", "  address: " + vault.address(),
            vaultCa == null ? "" : "  ca_cert: " + vaultCa, "  auth:", vaultAuth);
    Files.writeString(file, String.join("\n",
        "listen:", "  host: 127.0.0.1", "  port: 0",
        "policy: policy.yaml",
        storage,
        "tokens:", "  issuer: " + ISSUER, "  refresh_interval: " + refreshInterval,
        jwks == null ? "" : "  jwks: " + jwks,
        // Tests may set their own audit or admin blocks; by default: a file, frequent
        // checkpoints, and the admin API on a free port.
        extraConfig.contains("audit:") ? "" : String.join("\n", "audit:", "  file: " + AUDIT_FILE,
            "  checkpoint_interval: 1s", "  instance: " + INSTANCE),
        extraConfig.contains("admin:") ? "" : String.join("\n", "admin:", "  port: 0"),
        extraConfig));
    KeywardConfig config = KeywardConfig.load(file, Map.of());
    try (Storage opened = Storage.open(config.storage(), Clock.systemUTC())) {
      new SigningKeyStore(opened.kv(), opened.kek()).initialize(Instant.now());
    }
    return config;
  }

  public Keyward start() throws Exception {
    return start(Clock.systemUTC());
  }

  /** Starts Keyward on {@code clock} (a {@code MutableClock} lets a test move its time). */
  public Keyward start(Clock clock) throws Exception {
    return Keyward.start(configuration(), clock);
  }

  /** Starts Keyward on {@code clock}, resolving upstream host names with {@code resolver}. */
  public Keyward start(Clock clock, HostResolver resolver) throws Exception {
    return Keyward.start(configuration(), clock, resolver);
  }

  /** Opens the installation's storage as a second process (the CLI) would; close it after. */
  public Storage storage() throws Exception {
    return Storage.open(configuration().storage(), Clock.systemUTC());
  }

  public CredentialMetadata putCredential(String tenant, String id, String secret,
      List<String> allowedDomains, Injection injection) throws Exception {
    Secrets.register(secret);
    try (Secret value = Secret.copyOf(secret.getBytes(StandardCharsets.US_ASCII))) {
      return shared().credentials(Clock.systemUTC()).create(new CredentialSpec(tenant, id, id,
          injection, allowedDomains, List.of(), Map.of()), value, "test");
    }
  }

  /** Runs {@code action} on the credential store, as the CLI would. */
  public <T> T credentials(StoreAction<T> action) throws Exception {
    return action.run(shared().credentials(Clock.systemUTC()));
  }

  /** An operation on the credential store. */
  public interface StoreAction<T> {
    T run(CredentialStore store) throws Exception;
  }

  /** One storage kept open for the helpers below (a test's "other process"). */
  private synchronized Storage shared() throws Exception {
    if (shared == null) {
      shared = storage();
    }
    return shared;
  }

  public SigningKeyStore signingKeys() throws Exception {
    return new SigningKeyStore(shared().kv(), shared().kek());
  }

  public RevocationStore revocations() throws Exception {
    return new RevocationStore(shared().kv());
  }

  public AgentRegistry agents() throws Exception {
    return new AgentRegistry(shared().kv());
  }

  public IssuedToken token(String agent, String tenant) throws Exception {
    return token(TokenRequest.of(agent, tenant));
  }

  /** A platform token for {@code agent} minted for {@code purpose}. */
  public IssuedToken token(String agent, String tenant, Purpose purpose) throws Exception {
    return token(new TokenRequest(agent, tenant, Set.of(), Optional.of(purpose),
        TokenIssuer.DEFAULT_TTL));
  }

  /** A platform token issued at {@code clock}'s time: for a Keyward started on that clock. */
  public IssuedToken token(String agent, String tenant, Clock clock) throws Exception {
    return token(TokenRequest.of(agent, tenant), clock);
  }

  private IssuedToken token(TokenRequest request) throws Exception {
    return token(request, Clock.systemUTC());
  }

  private IssuedToken token(TokenRequest request, Clock clock) throws Exception {
    SigningKeys keys = signingKeys().load().orElseThrow().value();
    IssuedToken issued = new TokenIssuer(keys, ISSUER, clock).issue(request);
    Secrets.register(issued.token());
    return issued;
  }

  /** An operator token for the admin API, valid for an hour. */
  public IssuedOperatorToken operatorToken(String name, Role role) throws Exception {
    return operatorToken(name, role, Clock.systemUTC());
  }

  /** An operator token issued at {@code clock}'s time, valid for an hour of it. */
  public IssuedOperatorToken operatorToken(String name, Role role, Clock clock) throws Exception {
    SigningKeys keys = signingKeys().load().orElseThrow().value();
    IssuedOperatorToken issued = new TokenIssuer(keys, ISSUER, clock)
        .issueOperator(name, role, Duration.ofHours(1));
    Secrets.register(issued.token());
    return issued;
  }
}
