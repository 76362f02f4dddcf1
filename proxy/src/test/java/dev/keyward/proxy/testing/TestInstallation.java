package dev.keyward.proxy.testing;

import dev.keyward.proxy.Keyward;
import dev.keyward.proxy.config.KeywardConfig;
import dev.keyward.token.AgentRegistry;
import dev.keyward.token.IssuedToken;
import dev.keyward.token.RevocationStore;
import dev.keyward.token.SigningKeyStore;
import dev.keyward.token.SigningKeys;
import dev.keyward.token.TokenIssuer;
import dev.keyward.token.TokenRequest;
import dev.keyward.vault.CredentialMetadata;
import dev.keyward.vault.CredentialSpec;
import dev.keyward.vault.FileCredentialStore;
import dev.keyward.vault.FileKvStore;
import dev.keyward.vault.Injection;
import dev.keyward.vault.LocalKek;
import dev.keyward.vault.Sealer;
import dev.keyward.vault.Secret;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A complete Keyward installation in a temporary directory (KEK, signing keys, store, policy,
 * config), with helpers to store credentials, mint tokens and start the real server.
 */
public final class TestInstallation {

  public static final String ISSUER = "keyward-test";

  private final Path dir;
  private String extraConfig = "";
  private String refreshInterval = "100ms";
  private Path jwks;

  public TestInstallation(Path dir) throws Exception {
    this.dir = dir;
    LocalKek.create(dir.resolve("kek.json"));
    signingKeys().initialize(Instant.now());
  }

  /** The shared store (credentials, signing keys, agents, revocations), as a second process sees it. */
  public FileKvStore kv() throws Exception {
    return new FileKvStore(dir.resolve("store"), Clock.systemUTC());
  }

  public SigningKeyStore signingKeys() throws Exception {
    return new SigningKeyStore(kv(), LocalKek.load(dir.resolve("kek.json")));
  }

  public RevocationStore revocations() throws Exception {
    return new RevocationStore(kv());
  }

  public AgentRegistry agents() throws Exception {
    return new AgentRegistry(kv());
  }

  public Path dir() {
    return dir;
  }

  public TestInstallation policy(String yaml) throws Exception {
    Files.writeString(dir.resolve("policy.yaml"), yaml);
    return this;
  }

  /** Extra lines appended to the generated config, e.g. an {@code upstream:} block. */
  public TestInstallation config(String yaml) {
    this.extraConfig = yaml;
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
    Files.writeString(file, String.join("\n",
        "listen:", "  host: 127.0.0.1", "  port: 0",
        "policy: policy.yaml",
        "kek:", "  local: kek.json",
        "store:", "  file: store",
        "tokens:", "  issuer: " + ISSUER, "  refresh_interval: " + refreshInterval,
        jwks == null ? "" : "  jwks: " + jwks,
        extraConfig));
    return KeywardConfig.load(file);
  }

  public Keyward start() throws Exception {
    return Keyward.start(configuration(), Clock.systemUTC());
  }

  public CredentialMetadata putCredential(String tenant, String id, String secret,
      List<String> allowedDomains, Injection injection) throws Exception {
    FileCredentialStore store = new FileCredentialStore(kv(),
        new Sealer(LocalKek.load(dir.resolve("kek.json"))), Clock.systemUTC());
    try (Secret value = Secret.copyOf(secret.getBytes(StandardCharsets.US_ASCII))) {
      return store.create(new CredentialSpec(tenant, id, id, injection, allowedDomains, List.of(),
          Map.of()), value, "test");
    }
  }

  public IssuedToken token(String agent, String tenant) throws Exception {
    SigningKeys keys = signingKeys().load().orElseThrow().value();
    return new TokenIssuer(keys, ISSUER, Clock.systemUTC()).issue(TokenRequest.of(agent, tenant));
  }
}
