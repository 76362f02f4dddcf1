package dev.keyward.proxy.cli;

import dev.keyward.vault.CredentialMetadata;
import dev.keyward.vault.CredentialStore;
import dev.keyward.vault.CredentialSpec;
import dev.keyward.vault.CredentialStoreException;
import dev.keyward.vault.Injection;
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
        CredentialCommand.Enable.class, CredentialCommand.DestroyVersion.class})
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

  /** An operation on the credential store. */
  interface StoreAction<T> {
    T run(CredentialStore store) throws CredentialStoreException;
  }

  /** Runs {@code action} on the installation's store, mapping failures to exit codes. */
  static <T> T withStore(Locations locations, StoreAction<T> action) throws CliException {
    try (Installation installation = Installation.open(locations.load())) {
      return action.run(installation.credentialStore());
    } catch (CredentialStoreException e) {
      throw new CliException(ExitCodes.of(e.reason()), e.getMessage());
    } catch (IllegalArgumentException e) {
      throw new CliException(ExitCodes.INVALID, e.getMessage());
    }
  }

  static String actor(String given) {
    if (given != null) {
      return given;
    }
    String user = System.getProperty("user.name");
    return user == null || user.isBlank() ? "operator" : user;
  }

  static void print(Io io, boolean json, CredentialMetadata stored, String sentence) {
    io.out().println(json ? toJson(stored).encodePrettily() : sentence);
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
    Locations locations;

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

    @Option(names = "--extra-header", paramLabel = "NAME=VALUE",
        description = "Fixed header to send along, e.g. anthropic-version=2023-06-01; repeatable.")
    Map<String, String> extraHeaders = new LinkedHashMap<>();

    @ArgGroup(exclusive = true, multiplicity = "1")
    SecretSource secret;

    @Option(names = "--actor", description = "Who is doing this, for the audit trail (default:"
        + " the OS user).")
    String actor;

    @Option(names = "--json", description = "Print the stored metadata as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      Io io = KeywardCommand.io(spec);
      CredentialSpec credential;
      try {
        credential = new CredentialSpec(tenant, id, provider == null ? id : provider, injection(),
            allowedDomains, models, Map.of());
      } catch (IllegalArgumentException e) {
        throw new CliException(ExitCodes.INVALID, e.getMessage());
      }
      CredentialMetadata stored;
      try (Secret value = secret.read(io.in())) {
        stored = withStore(locations, store -> store.create(credential, value, actor(actor)));
      }
      print(io, json, stored, "Stored credential " + stored.tenant() + "/" + stored.id()
          + " version " + stored.version() + " (provider " + credential.provider() + ", "
          + describe(credential.injection()) + ", allowed domains "
          + String.join(", ", credential.allowedDomains()) + ")");
      return ExitCodes.OK;
    }

    private Injection injection() {
      Injection base;
      if (queryParam != null) {
        if (header != null) {
          throw new IllegalArgumentException("use either --header or --query-param, not both");
        }
        base = Injection.query(queryParam);
      } else if (header != null) {
        base = Injection.header(header, template == null ? Injection.PLACEHOLDER : template);
      } else {
        base = Injection.forProvider(provider == null ? id : provider);
        if (template != null) {
          base = Injection.header(base.name(), template).withExtraHeaders(base.extraHeaders());
        }
      }
      if (extraHeaders.isEmpty()) {
        return base;
      }
      Map<String, String> extras = new LinkedHashMap<>(base.extraHeaders());
      extras.putAll(extraHeaders);
      return base.withExtraHeaders(extras);
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
    Locations locations;

    @Mixin
    Ref ref;

    @ArgGroup(exclusive = true, multiplicity = "1")
    SecretSource secret;

    @Option(names = "--actor", description = "Who is doing this (default: the OS user).")
    String actor;

    @Option(names = "--json", description = "Print the new version's metadata as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      Io io = KeywardCommand.io(spec);
      CredentialMetadata stored;
      try (Secret value = secret.read(io.in())) {
        stored = withStore(locations, store -> store.rotate(ref.tenant, ref.id, value, actor(actor)));
      }
      print(io, json, stored, "Rotated " + stored.tenant() + "/" + stored.id() + " to version "
          + stored.version());
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
    Locations locations;

    @Mixin
    Ref ref;

    @Option(names = "--to-version", required = true, paramLabel = "N",
        description = "The version whose secret becomes current.")
    int version;

    @Option(names = "--actor", description = "Who is doing this (default: the OS user).")
    String actor;

    @Option(names = "--json", description = "Print the new version's metadata as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      CredentialMetadata stored = withStore(locations,
          store -> store.rollback(ref.tenant, ref.id, version, actor(actor)));
      print(KeywardCommand.io(spec), json, stored, "Rolled " + stored.tenant() + "/" + stored.id()
          + " back: version " + version + "'s secret is current again, as version "
          + stored.version());
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
    Locations locations;

    @Option(names = "--tenant", description = "Only this tenant (default: all).")
    String tenant;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      Io io = KeywardCommand.io(spec);
      List<CredentialMetadata> all = withStore(locations, store -> {
        List<CredentialMetadata> out = new ArrayList<>();
        for (String t : tenant == null ? store.tenants() : List.of(tenant)) {
          out.addAll(store.list(t));
        }
        return out;
      });
      if (json) {
        JsonArray array = new JsonArray();
        all.forEach(m -> array.add(toJson(m)));
        io.out().println(array.encodePrettily());
      } else {
        for (CredentialMetadata m : all) {
          io.out().println(m.tenant() + "/" + m.id() + "\tv" + m.version() + "\t"
              + m.spec().provider() + "\t" + describe(m.spec().injection()) + "\t"
              + String.join(",", m.spec().allowedDomains()) + (m.disabled() ? "\tDISABLED" : ""));
        }
      }
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
    Locations locations;

    @Mixin
    Ref ref;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      Io io = KeywardCommand.io(spec);
      List<CredentialMetadata> versions = withStore(locations, store -> store.history(ref.tenant, ref.id));
      if (json) {
        JsonArray array = new JsonArray();
        versions.forEach(m -> array.add(toJson(m)));
        io.out().println(array.encodePrettily());
      } else {
        for (CredentialMetadata m : versions) {
          io.out().println("v" + m.version() + "\t" + m.createdAt() + "\t" + m.createdBy()
              + (m.note().isEmpty() ? "" : "\t" + m.note()));
        }
      }
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
    Locations locations;

    @Mixin
    Ref ref;

    @Option(names = "--actor", description = "Who is doing this (default: the OS user).")
    String actor;

    @Override
    public Integer call() throws Exception {
      withStore(locations, store -> {
        store.setDisabled(ref.tenant, ref.id, true, actor(actor));
        return null;
      });
      KeywardCommand.io(spec).out().println("Disabled " + ref.tenant + "/" + ref.id);
      return ExitCodes.OK;
    }
  }

  /** {@code keyward credential enable}. */
  @Command(name = "enable", mixinStandardHelpOptions = true, description = "Enable it again.")
  static final class Enable implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Locations locations;

    @Mixin
    Ref ref;

    @Option(names = "--actor", description = "Who is doing this (default: the OS user).")
    String actor;

    @Override
    public Integer call() throws Exception {
      withStore(locations, store -> {
        store.setDisabled(ref.tenant, ref.id, false, actor(actor));
        return null;
      });
      KeywardCommand.io(spec).out().println("Enabled " + ref.tenant + "/" + ref.id);
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
    Locations locations;

    @Mixin
    Ref ref;

    @Option(names = "--version", required = true, paramLabel = "N")
    int version;

    @Option(names = "--actor", description = "Who is doing this (default: the OS user).")
    String actor;

    @Override
    public Integer call() throws Exception {
      withStore(locations, store -> {
        store.destroyVersion(ref.tenant, ref.id, version, actor(actor));
        return null;
      });
      KeywardCommand.io(spec).out().println("Destroyed version " + version + " of " + ref.tenant
          + "/" + ref.id);
      return ExitCodes.OK;
    }
  }

  static String describe(Injection injection) {
    String where = injection.location() == Injection.Location.HEADER
        ? injection.name() + ": " + injection.template()
        : "query parameter " + injection.name();
    return where.replace(Injection.PLACEHOLDER, "<secret>");
  }

  static JsonObject toJson(CredentialMetadata m) {
    return new JsonObject()
        .put("tenant", m.tenant())
        .put("id", m.id())
        .put("version", m.version())
        .put("provider", m.spec().provider())
        .put("injection", describe(m.spec().injection()))
        .put("allowed_domains", new JsonArray(m.spec().allowedDomains()))
        .put("models", new JsonArray(m.spec().models()))
        .put("created_by", m.createdBy())
        .put("created_at", m.createdAt().toString())
        .put("disabled", m.disabled())
        .put("note", m.note());
  }
}
