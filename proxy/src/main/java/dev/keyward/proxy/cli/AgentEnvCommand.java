package dev.keyward.proxy.cli;

import static dev.keyward.proxy.cli.CredentialCommand.objects;
import static dev.keyward.proxy.cli.CredentialCommand.strings;

import dev.keyward.policies.InvalidPolicyException;
import dev.keyward.policies.PolicyLoader;
import dev.keyward.policies.PolicySet;
import dev.keyward.proxy.config.Durations;
import dev.keyward.proxy.config.KeywardConfig;
import dev.keyward.proxy.forwardproxy.ForwardProxyCa;
import dev.keyward.token.TokenIssuer;
import dev.keyward.vault.KvException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code keyward agent env}: the environment of an agent's sandbox behind the forward proxy. The
 * proxy (with a fresh platform token for the agent in its URL), the CA bundle (Keyward's CA and
 * the system's, written to a file), and one placeholder per credential granted to the agent. Works
 * on the installation's store and policy (like {@code token jwks}).
 */
@Command(name = "env", mixinStandardHelpOptions = true,
    description = "Print the environment for an agent's sandbox behind the forward proxy:"
        + " HTTPS_PROXY with a fresh token, the CA bundle variables, and a placeholder variable"
        + " per granted credential. Writes the CA bundle to --ca-file.")
final class AgentEnvCommand implements Callable<Integer> {

  /** Where Debian and most Linux images keep the system's CA bundle. */
  static final Path SYSTEM_BUNDLE = Path.of("/etc/ssl/certs/ca-certificates.crt");
  /** The variable each known provider's tools read their key from. */
  private static final Map<String, String> CONVENTIONAL = Map.of("openai", "OPENAI_API_KEY",
      "anthropic", "ANTHROPIC_API_KEY", "google", "GEMINI_API_KEY", "gemini", "GEMINI_API_KEY",
      "github", "GITHUB_TOKEN", "openrouter", "OPENROUTER_API_KEY");

  @Spec
  CommandSpec spec;

  @Mixin
  Locations locations;

  @Parameters(index = "0", paramLabel = "AGENT", description = "A registered agent's id.")
  String agent;

  @Option(names = "--proxy-host", paramLabel = "HOST",
      description = "Where the sandbox reaches the forward proxy (default: the host of"
          + " forward_proxy.listen).")
  String proxyHost;

  @Option(names = "--ca-file", paramLabel = "FILE", defaultValue = "keyward-ca.pem",
      description = "Write the CA bundle here: Keyward's forward-proxy CA, then the system's"
          + " CAs (for hosts tunnelled untouched). The variables name this path (default:"
          + " ${DEFAULT-VALUE}).")
  Path caFile;

  @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "1h",
      description = "Lifetime of the token in the proxy URL, at most 1h (default: ${DEFAULT-VALUE}).")
  String ttl;

  @Option(names = "--env-file",
      description = "Print NAME=value lines (docker --env-file) instead of shell exports.")
  boolean envFile;

  @Override
  public Integer call() throws Exception {
    KeywardConfig config = locations.load();
    if (!config.forwardProxy().enabled()) {
      throw new CliException(ExitCodes.INVALID, "the forward proxy is off: set"
          + " forward_proxy.listen in the configuration");
    }
    Duration lifetime;
    try {
      lifetime = Durations.parse(ttl);
    } catch (IllegalArgumentException e) {
      throw new CliException(ExitCodes.INVALID, e.getMessage());
    }
    PolicySet policy = policy(config);
    Map<String, String> env = new LinkedHashMap<>();
    try (Installation installation = Installation.open(config)) {
      writeBundle(caPem(installation));
      JsonObject found = objects(Target.onStore(locations, ops -> ops.listAgents())).stream()
          .filter(a -> agent.equals(a.getString("id"))).findFirst()
          .orElseThrow(() -> new CliException(ExitCodes.NOT_FOUND, "no agent " + agent));
      String tenant = found.getString("tenant");
      Set<String> groups = Set.copyOf(strings(found.getJsonArray("groups")));
      String token = Target.onStore(locations, ops -> ops.mintToken(agent, tenant, groups,
          Optional.empty(), lifetime)).getString("token");
      String proxy = "http://" + agent + ":" + token + "@" + proxyAuthority(config);
      for (String name : List.of("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")) {
        env.put(name, proxy);
      }
      String bundle = caFile.toAbsolutePath().toString();
      for (String name : List.of("SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE",
          "CURL_CA_BUNDLE", "GIT_SSL_CAINFO")) {
        env.put(name, bundle);
      }
      env.putAll(placeholders(policy.grantedCredentials(agent, tenant, groups), tenant));
    }
    Io io = KeywardCommand.io(spec);
    env.forEach((name, value) -> io.out().println(envFile ? name + "=" + value
        : "export " + name + "='" + value + "'"));
    io.err().println("# token valid for " + Durations.format(lifetime) + " (at most "
        + Durations.format(TokenIssuer.MAX_TTL) + "); run again for a fresh one");
    return ExitCodes.OK;
  }

  /** One variable per granted credential that has a placeholder, named for the tools that read it. */
  private Map<String, String> placeholders(List<String> granted, String tenant)
      throws CliException {
    Map<String, JsonObject> stored = new HashMap<>();
    for (JsonObject credential : objects(Target.onStore(locations,
        ops -> ops.listCredentials(Optional.of(tenant))))) {
      stored.put(credential.getString("id"), credential);
    }
    Map<String, Integer> uses = new HashMap<>();
    for (String id : granted) {
      if (stored.containsKey(id)) {
        uses.merge(conventional(stored.get(id)), 1, Integer::sum);
      }
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (String id : granted) {
      JsonObject credential = stored.get(id);
      if (credential == null || credential.getString("placeholder", "").isEmpty()) {
        continue;
      }
      String name = conventional(credential);
      out.put(uses.get(name) == 1 ? name : fromId(id), credential.getString("placeholder"));
    }
    return out;
  }

  private static String conventional(JsonObject credential) {
    String provider = credential.getString("provider", "");
    return CONVENTIONAL.getOrDefault(provider, fromId(credential.getString("id")));
  }

  private static String fromId(String id) {
    return id.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_") + "_API_KEY";
  }

  private String proxyAuthority(KeywardConfig config) throws CliException {
    KeywardConfig.ForwardProxy forward = config.forwardProxy();
    if (forward.port() == 0) {
      throw new CliException(ExitCodes.INVALID, "forward_proxy.listen picks a free port (0);"
          + " name a fixed port so sandboxes can reach it");
    }
    String host = proxyHost != null ? proxyHost : forward.host();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + forward.port();
  }

  private static PolicySet policy(KeywardConfig config) throws CliException {
    try {
      return PolicyLoader.load(config.policy());
    } catch (IOException e) {
      throw new CliException(ExitCodes.UNAVAILABLE, "cannot read the policy " + config.policy()
          + ": " + e.getMessage());
    } catch (InvalidPolicyException e) {
      throw new CliException(ExitCodes.INVALID, "the policy is invalid; run `keyward policy"
          + " check`");
    }
  }

  /** The forward proxy's CA certificate, made now if Keyward never made it. */
  private static String caPem(Installation installation) throws CliException {
    try {
      return ForwardProxyCa.loadOrCreate(installation.storage().kv(),
          installation.storage().kek(), Clock.systemUTC()).certificatePem();
    } catch (KvException | GeneralSecurityException e) {
      throw new CliException(ExitCodes.UNAVAILABLE, "cannot read the forward proxy's CA: "
          + e.getMessage());
    }
  }

  private void writeBundle(String caPem) throws CliException {
    try {
      String system = Files.isReadable(SYSTEM_BUNDLE)
          ? Files.readString(SYSTEM_BUNDLE, StandardCharsets.US_ASCII) : "";
      Files.writeString(caFile, caPem + system, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new CliException(ExitCodes.FAILED, "cannot write --ca-file " + caFile + ": "
          + e.getMessage());
    }
  }
}
