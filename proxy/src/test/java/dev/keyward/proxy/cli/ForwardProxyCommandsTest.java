package dev.keyward.proxy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.forwardproxy.ForwardProxyCa;
import dev.keyward.proxy.storage.Storage;
import dev.keyward.proxy.testing.Cli;
import dev.keyward.proxy.testing.TestInstallation;
import dev.keyward.vault.Injection;
import dev.keyward.vault.Placeholders;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code keyward credential placeholder} and {@code keyward agent env}, as an operator runs them. */
class ForwardProxyCommandsTest {

  static final String GITHUB_KEY = "ghp_cli0123456789abcdefABCDEF0123";
  static final String OPENAI_KEY = "sk-cli-forward-0123456789abcdef";

  @TempDir
  Path dir;

  TestInstallation installation;
  String config;

  @BeforeEach
  void setUp() throws Exception {
    installation = new TestInstallation(dir).policy("""
        credentials:
          - id: github
            allowed_domains: ["github.com"]
          - id: openai
            allowed_domains: ["api.openai.com"]
          - id: internal
            allowed_domains: ["internal.example"]
        grants:
          - tenants: [acme]
            credentials: [github, openai]
        """).config("forward_proxy:\n  listen: 127.0.0.1:3128\n");
    installation.configuration();
    config = dir.resolve("keyward.yaml").toString();
    installation.putCredential("acme", "github", GITHUB_KEY, List.of("github.com"),
        Injection.basic("x-access-token"));
    installation.putCredential("acme", "openai", OPENAI_KEY, List.of("api.openai.com"),
        Injection.bearer());
    installation.putCredential("acme", "internal", "sk-internal-0123456789abcdef",
        List.of("internal.example"), Injection.bearer());
    assertEquals(0, Cli.run("agent", "create", "bot", "--tenant", "acme", "--config", config)
        .exit());
  }

  @Test
  void placeholderPrintsTheCredentialsPlaceholderAndNothingSecret() throws Exception {
    Cli.Result result = Cli.run("credential", "placeholder", "github", "--tenant", "acme",
        "--config", config);
    assertEquals(0, result.exit(), result.toString());
    String placeholder = result.out().trim();
    assertTrue(Placeholders.isPlaceholder(placeholder), placeholder);
    assertFalse(result.toString().contains(GITHUB_KEY));
  }

  @Test
  void agentEnvPrintsTheProxyTheCaBundleAndOnePlaceholderPerGrantedCredential()
      throws Exception {
    Path bundle = dir.resolve("sandbox-ca.pem");
    Cli.Result result = Cli.run("agent", "env", "bot", "--ca-file", bundle.toString(),
        "--env-file", "--config", config);
    assertEquals(0, result.exit(), result.toString());
    Map<String, String> env = new LinkedHashMap<>();
    result.out().lines().forEach(line -> env.put(line.substring(0, line.indexOf('=')),
        line.substring(line.indexOf('=') + 1)));
    assertTrue(env.get("HTTPS_PROXY").matches("http://bot:[^@]+@127\\.0\\.0\\.1:3128"),
        env.get("HTTPS_PROXY"));
    for (String name : List.of("SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE",
        "GIT_SSL_CAINFO")) {
      assertEquals(bundle.toAbsolutePath().toString(), env.get(name));
    }
    String ca;
    try (Storage storage = installation.storage()) {
      ca = ForwardProxyCa.storedCertificatePem(storage.kv()).orElseThrow();
    }
    assertTrue(Files.readString(bundle).startsWith(ca));
    assertTrue(Placeholders.isPlaceholder(env.get("GITHUB_TOKEN")), env.toString());
    assertTrue(Placeholders.isPlaceholder(env.get("OPENAI_API_KEY")), env.toString());
    assertFalse(env.containsKey("INTERNAL_API_KEY"), "a credential the agent is not granted");
    for (String key : List.of(GITHUB_KEY, OPENAI_KEY)) {
      assertFalse(result.toString().contains(key));
    }
  }
}
