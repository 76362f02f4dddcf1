package dev.keyward.proxy.cli;

import dev.keyward.proxy.admin.CredentialJson;
import dev.keyward.vault.CredentialSpec;
import dev.keyward.vault.Secret;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code keyward credential …}: provider keys in the credential store. */
@Command(name = "credential", mixinStandardHelpOptions = true,
    description = "Provider keys (BYOK credentials) in the credential store.",
    subcommands = {CredentialCommand.Put.class, CredentialCommand.Rotate.class,
        CredentialCommand.Rollback.class, CredentialCommand.ListCredentials.class,
        CredentialCommand.History.class, CredentialCommand.Disable.class,
        CredentialCommand.Enable.class, CredentialCommand.DestroyVersion.class,
        CredentialCommand.Placeholder.class})
final class CredentialCommand implements Runnable {

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(KeywardCommand.io(spec).err());
  }

  /** Which credential: an id and the tenant that owns it. */
  static final class Ref {
    @Parameters(index = "0", paramLabel = "ID", description = "Credential id, e.g. openrouter.")
    String id;

    @Option(names = "--tenant", defaultValue = "default",
        description = "Tenant that owns the key (default: ${DEFAULT-VALUE}).")
    String tenant;
  }

  static final String ACTOR_HELP = "Who is doing this, recorded with the version (default: the"
      + " OS user). Through the admin API the operator token's name is recorded instead.";

  /** Prints a result: its JSON, or the sentence for people. */
  static void print(Io io, boolean json, Object result, String sentence) {
    io.out().println(json ? (result instanceof JsonArray array ? array.encodePrettily()
        : ((JsonObject) result).encodePrettily()) : sentence);
  }

  static String summary(JsonObject m) {
    return m.getString("tenant") + "/" + m.getString("id") + " version " + m.getInteger("version");
  }

  /** Where the secret comes from: never a command-line argument (shell history, ps). */
  static final class SecretSource {
    @Option(names = "--secret-stdin", required = true,
        description = "Read the secret from standard input (a trailing newline is dropped).")
    boolean stdin;

    @Option(names = "--secret-file", required = true, paramLabel = "FILE",
        description = "Read the secret from a file (a trailing newline is dropped).")
    Path file;

    Secret read(InputStream in) throws CliException {
      byte[] bytes;
      try {
        bytes = stdin ? in.readAllBytes() : Files.readAllBytes(file);
      } catch (IOException e) {
        throw new CliException(ExitCodes.FAILED, "cannot read the secret: " + e.getMessage());
      }
      int end = bytes.length;
      while (end > 0 && (bytes[end - 1] == '\n' || bytes[end - 1] == '\r')) {
        end--;
      }
      byte[] trimmed = Arrays.copyOf(bytes, end);
      Arrays.fill(bytes, (byte) 0);
      try {
        return Secret.copyOf(trimmed);
      } catch (IllegalArgumentException e) {
        throw new CliException(ExitCodes.INVALID, e.getMessage());
      } finally {
        Arrays.fill(trimmed, (byte) 0);
      }
    }
  }

  /** {@code keyward credential put}: store a new credential as version 1. */
  @Command(name = "put", mixinStandardHelpOptions = true,
      description = "Store a new credential (version 1). Use rotate to change an existing one.")
  static final class Put implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Target target;

    @Parameters(index = "0", paramLabel = "ID", description = "Credential id, e.g. openrouter.")
    String id;

    @Option(names = "--tenant", defaultValue = "default",
        description = "Tenant that owns the key (default: ${DEFAULT-VALUE}).")
    String tenant;

    @Option(names = "--provider", description = "Provider name (default: the id). Picks the"
        + " injection: anthropic uses x-api-key, google x-goog-api-key, others a Bearer header.")
    String provider;

    @Option(names = "--allowed-domain", required = true, paramLabel = "DOMAIN",
        description = "Host the key may be sent to, e.g. '*.openrouter.ai'; repeatable.")
    List<String> allowedDomains;

    @Option(names = "--model", paramLabel = "MODEL", description = "Allowed model; repeatable.")
    List<String> models = new ArrayList<>();

    @Option(names = "--header", paramLabel = "NAME",
        description = "Inject into this header instead of the provider's default.")
    String header;

    @Option(names = "--template", paramLabel = "TEMPLATE",
        description = "Header value around the secret, e.g. 'Bearer {secret}' (default: {secret}"
            + " for --header).")
    String template;

    @Option(names = "--query-param", paramLabel = "NAME",
        description = "Inject as this query parameter instead of a header.")
    String queryParam;

    @Option(names = "--basic-user", paramLabel = "USER",
        description = "Inject as HTTP Basic credentials: this user, the secret as password (git"
            + " over HTTPS to GitHub: x-access-token).")
    String basicUser;

    @Option(names = "--extra-header", paramLabel = "NAME=VALUE",
        description = "Fixed header to send along, e.g. anthropic-version=2023-06-01; repeatable.")
    Map<String, String> extraHeaders = new LinkedHashMap<>();

    @ArgGroup(exclusive = true, multiplicity = "1")
    SecretSource secret;

    @Option(names = "--actor", description = ACTOR_HELP)
    String actor;

    @Option(names = "--json", description = "Print the stored metadata as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      Io io = KeywardCommand.io(spec);
      CredentialSpec credential;
      try {
        credential = new CredentialSpec(tenant, id, provider == null ? id : provider,
            CredentialJson.injection(provider == null ? id : provider, header, template,
                queryParam, basicUser, extraHeaders), allowedDomains, models, Map.of());
      } catch (IllegalArgumentException e) {
        throw new CliException(ExitCodes.INVALID, e.getMessage());
      }
      JsonObject stored;
      try (Secret value = secret.read(io.in())) {
        stored = target.run(ops -> ops.createCredential(credential, value, Target.actor(actor)));
      }
      print(io, json, stored, "Stored credential " + summary(stored) + " (provider "
          + credential.provider() + ", " + CredentialJson.describe(credential.injection())
          + ", allowed domains " + String.join(", ", credential.allowedDomains()) + ")");
      return ExitCodes.OK;
    }
  }

  /** {@code keyward credential rotate}: a new secret as the next version. */
  @Command(name = "rotate", mixinStandardHelpOptions = true,
      description = "Store a new secret as the next version. Running proxies use it within the"
          + " credential cache TTL (credentials_cache.ttl, 30s by default); the previous version"
          + " is kept for rollback.")
  static final class Rotate implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Target target;

    @Mixin
    Ref ref;

    @ArgGroup(exclusive = true, multiplicity = "1")
    SecretSource secret;

    @Option(names = "--actor", description = ACTOR_HELP)
    String actor;

    @Option(names = "--json", description = "Print the new version's metadata as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      Io io = KeywardCommand.io(spec);
      JsonObject stored;
      try (Secret value = secret.read(io.in())) {
        stored = target.run(ops -> ops.rotateCredential(ref.tenant, ref.id, value,
            Target.actor(actor)));
      }
      print(io, json, stored, "Rotated " + ref.tenant + "/" + ref.id + " to version "
          + stored.getInteger("version"));
      return ExitCodes.OK;
    }
  }

  /** {@code keyward credential rollback}: an earlier version's secret, current again. */
  @Command(name = "rollback", mixinStandardHelpOptions = true,
      description = "Make an earlier version's secret current again, written as a new version.")
  static final class Rollback implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Target target;

    @Mixin
    Ref ref;

    @Option(names = "--to-version", required = true, paramLabel = "N",
        description = "The version whose secret becomes current.")
    int version;

    @Option(names = "--actor", description = ACTOR_HELP)
    String actor;

    @Option(names = "--json", description = "Print the new version's metadata as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      JsonObject stored = target.run(ops -> ops.rollbackCredential(ref.tenant, ref.id, version,
          Target.actor(actor)));
      print(KeywardCommand.io(spec), json, stored, "Rolled " + ref.tenant + "/" + ref.id
          + " back: version " + version + "'s secret is current again, as version "
          + stored.getInteger("version"));
      return ExitCodes.OK;
    }
  }

  /** {@code keyward credential list}: metadata only, never secrets. */
  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "List credentials (metadata only; secrets are never shown).")
  static final class ListCredentials implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Target target;

    @Option(names = "--tenant", description = "Only this tenant (default: all).")
    String tenant;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      Io io = KeywardCommand.io(spec);
      JsonArray all = target.run(ops -> ops.listCredentials(Optional.ofNullable(tenant)));
      StringBuilder lines = new StringBuilder();
      for (JsonObject m : objects(all)) {
        lines.append(m.getString("tenant")).append('/').append(m.getString("id"))
            .append("\tv").append(m.getInteger("version"))
            .append('\t').append(m.getString("provider"))
            .append('\t').append(m.getString("injection"))
            .append('\t').append(String.join(",", strings(m.getJsonArray("allowed_domains"))))
            .append(m.getBoolean("disabled") ? "\tDISABLED" : "").append('\n');
      }
      print(io, json, all, lines.toString().stripTrailing());
      return ExitCodes.OK;
    }
  }

  /** {@code keyward credential history}: every live version. */
  @Command(name = "history", mixinStandardHelpOptions = true,
      description = "List the live versions of a credential: who wrote each and when.")
  static final class History implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Target target;

    @Mixin
    Ref ref;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      Io io = KeywardCommand.io(spec);
      JsonArray versions = target.run(ops -> ops.credentialHistory(ref.tenant, ref.id));
      StringBuilder lines = new StringBuilder();
      for (JsonObject m : objects(versions)) {
        lines.append('v').append(m.getInteger("version"))
            .append('\t').append(m.getString("created_at"))
            .append('\t').append(m.getString("created_by"))
            .append(m.getString("note", "").isEmpty() ? "" : "\t" + m.getString("note"))
            .append('\n');
      }
      print(io, json, versions, lines.toString().stripTrailing());
      return ExitCodes.OK;
    }
  }

  /** {@code keyward credential placeholder}: what an agent holds instead of the key. */
  @Command(name = "placeholder", mixinStandardHelpOptions = true,
      description = "Print the credential's placeholder (kw_ph_...): what an agent behind the"
          + " forward proxy holds instead of the key. Not a secret: Keyward swaps it for the key"
          + " only on requests from agents granted the credential, to its allowed domains.")
  static final class Placeholder implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Target target;

    @Mixin
    Ref ref;

    @Override
    public Integer call() throws Exception {
      JsonArray versions = target.run(ops -> ops.credentialHistory(ref.tenant, ref.id));
      List<JsonObject> all = objects(versions);
      String placeholder = all.isEmpty() ? "" : all.get(all.size() - 1).getString("placeholder",
          "");
      if (placeholder.isEmpty()) {
        throw new CliException(ExitCodes.NOT_FOUND, ref.tenant + "/" + ref.id + " was stored"
            + " before credentials had placeholders; rotate it (or `keyward kek rotate`) to give"
            + " it one");
      }
      KeywardCommand.io(spec).out().println(placeholder);
      return ExitCodes.OK;
    }
  }

  /** {@code keyward credential disable}: refuse to inject it, keep it stored. */
  @Command(name = "disable", mixinStandardHelpOptions = true,
      description = "Stop injecting the credential (requests get 403 credential_disabled within the"
          + " cache TTL); it stays stored.")
  static final class Disable implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Target target;

    @Mixin
    Ref ref;

    @Option(names = "--actor", description = ACTOR_HELP)
    String actor;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      JsonObject result = target.run(ops -> ops.setCredentialDisabled(ref.tenant, ref.id, true,
          Target.actor(actor)));
      print(KeywardCommand.io(spec), json, result, "Disabled " + ref.tenant + "/" + ref.id);
      return ExitCodes.OK;
    }
  }

  /** {@code keyward credential enable}. */
  @Command(name = "enable", mixinStandardHelpOptions = true, description = "Enable it again.")
  static final class Enable implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Target target;

    @Mixin
    Ref ref;

    @Option(names = "--actor", description = ACTOR_HELP)
    String actor;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      JsonObject result = target.run(ops -> ops.setCredentialDisabled(ref.tenant, ref.id, false,
          Target.actor(actor)));
      print(KeywardCommand.io(spec), json, result, "Enabled " + ref.tenant + "/" + ref.id);
      return ExitCodes.OK;
    }
  }

  /** {@code keyward credential destroy-version}: erase one old version for good. */
  @Command(name = "destroy-version", mixinStandardHelpOptions = true,
      description = "Permanently erase one non-current version's sealed secret.")
  static final class DestroyVersion implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Target target;

    @Mixin
    Ref ref;

    @Option(names = "--erase-version", required = true, paramLabel = "N",
        description = "The version to erase (not the current one).")
    int version;

    @Option(names = "--actor", description = ACTOR_HELP)
    String actor;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      JsonObject result = target.run(ops -> ops.destroyCredentialVersion(ref.tenant, ref.id,
          version, Target.actor(actor)));
      print(KeywardCommand.io(spec), json, result, "Destroyed version " + version + " of " + ref.tenant
          + "/" + ref.id);
      return ExitCodes.OK;
    }
  }

  static List<JsonObject> objects(JsonArray array) {
    List<JsonObject> out = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      out.add(array.getJsonObject(i));
    }
    return out;
  }

  static List<String> strings(JsonArray array) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      out.add(array.getString(i));
    }
    return out;
  }
}
