package dev.keyward.proxy.cli;

import dev.keyward.vault.CredentialMetadata;
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
    subcommands = {CredentialCommand.Put.class})
final class CredentialCommand implements Runnable {

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(KeywardCommand.io(spec).err());
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
      Installation installation = Installation.open(locations.load());
      CredentialMetadata stored;
      try (Secret value = secret.read(io.in())) {
        stored = installation.credentialStore().create(credential, value, actor());
      } catch (CredentialStoreException e) {
        throw new CliException(ExitCodes.of(e.reason()), e.getMessage());
      }
      if (json) {
        io.out().println(toJson(stored).encodePrettily());
      } else {
        io.out().println("Stored credential " + stored.tenant() + "/" + stored.id() + " version "
            + stored.version() + " (provider " + credential.provider() + ", "
            + describe(credential.injection()) + ", allowed domains "
            + String.join(", ", credential.allowedDomains()) + ")");
      }
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

    private String actor() {
      if (actor != null) {
        return actor;
      }
      String user = System.getProperty("user.name");
      return user == null || user.isBlank() ? "operator" : user;
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
