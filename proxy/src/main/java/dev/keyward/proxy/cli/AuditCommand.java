package dev.keyward.proxy.cli;

import static dev.keyward.proxy.cli.CredentialCommand.objects;
import static dev.keyward.proxy.cli.CredentialCommand.print;

import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.PublicKeyVerify;
import dev.keyward.proxy.admin.AuditQuery;
import dev.keyward.proxy.audit.AuditFiles;
import dev.keyward.proxy.audit.AuditKeys;
import dev.keyward.proxy.audit.AuditVerifier;
import dev.keyward.proxy.audit.ConfiguredLog;
import dev.keyward.proxy.audit.AuditWitness;
import dev.keyward.proxy.config.Durations;
import dev.keyward.proxy.config.KeywardConfig;
import dev.keyward.vault.KvException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code keyward audit …}: the tamper-evident audit trail. */
@Command(name = "audit", mixinStandardHelpOptions = true,
    description = "The audit trail: verify it, query it, report on credential use.",
    subcommands = {AuditCommand.Verify.class, AuditCommand.Query.class,
        AuditCommand.Report.class, AuditCommand.PublicKey.class})
final class AuditCommand implements Runnable {

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(KeywardCommand.io(spec).err());
  }

  /** {@code keyward audit verify}: where the log starts, hash chain, signatures, witness. */
  @Command(name = "verify", mixinStandardHelpOptions = true,
      description = {"Verify audit files: that the log starts at its genesis or a signed anchor,"
          + " the hash chain, sequence numbers, checkpoint and anchor signatures (public key pinned"
          + " by audit.public_key, else the instance's write-once key in the store) and, when the"
          + " last file is the current log, what the store witnessed (catches a cut tail).",
          "The instance is the configuration's audit.instance (or --instance), never read from"
              + " the files. With a configuration, a missing witness is a failure.",
          "Exits 0 if intact, " + ExitCodes.TAMPERED + " if altered."})
  static final class Verify implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Locations locations;

    @Parameters(paramLabel = "FILE", arity = "0..*",
        description = "Audit files, oldest first (default: every file of the configured log).")
    List<Path> files = new ArrayList<>();

    @Option(names = "--instance", paramLabel = "NAME",
        description = "The instance whose log this is (default: audit.instance of --config), e.g."
            + " to verify another replica's log copied from the SIEM.")
    String instance;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      Io io = KeywardCommand.io(spec);
      Optional<KeywardConfig> config = config();
      List<Path> chosen = files;
      if (chosen.isEmpty()) {
        Path current = config.flatMap(c -> c.audit().file()).orElseThrow(() -> new CliException(
            ExitCodes.USAGE, "name the audit files, or pass --config of an installation whose"
                + " audit.file is set"));
        chosen = AuditFiles.inOrder(current);
      }
      for (Path file : chosen) {
        if (!Files.isRegularFile(file)) {
          throw new CliException(ExitCodes.NOT_FOUND, "no such file: " + file);
        }
      }
      Optional<PublicKeyVerify> verifier = Optional.empty();
      Optional<AuditWitness> witness = Optional.empty();
      Optional<String> expected = Optional.ofNullable(instance);
      boolean witnessRequired = false;
      List<String> notes = new ArrayList<>();
      if (config.isPresent()) {
        String name = instance != null ? instance : config.get().audit().instance();
        expected = Optional.of(name);
        try (Installation installation = Installation.open(config.get())) {
          // Empty: every signed line is unverifiable, a failure (signaturesRequired below).
          verifier = ConfiguredLog.verifier(config.get().audit(), installation.storage().kv(),
              name);
          // Every file of the configured log (even none left: the witness tells what is gone),
          // or chosen files ending with the current one.
          Path last = chosen.isEmpty() ? null : chosen.get(chosen.size() - 1);
          boolean reachesEnd = files.isEmpty() || config.get().audit().file()
              .map(f -> f.getFileName().equals(last.getFileName())).orElse(false);
          Optional<AuditWitness> stored = AuditWitness.load(installation.storage().kv(), name);
          if (reachesEnd) {
            witness = stored;
            witnessRequired = true;
          } else {
            notes.add("the witnessed head was not compared: the last file given is not the"
                + " current log");
          }
        } catch (KvException | GeneralSecurityException | IOException e) {
          throw new CliException(ExitCodes.UNAVAILABLE, "cannot read the audit key or witness: "
              + e.getMessage());
        }
      }
      AuditVerifier.Result result = AuditVerifier.verify(chosen, new AuditVerifier.Options(
          verifier, witness, witnessRequired, expected, files.isEmpty(), config.isPresent()));
      notes.addAll(result.notes());
      JsonArray problems = new JsonArray();
      result.problems().forEach(p -> problems.add(new JsonObject().put("file", p.file())
          .put("line", p.line())
          .put("kind", p.kind().name().toLowerCase(java.util.Locale.ROOT))
          .put("message", p.message())));
      JsonObject out = new JsonObject()
          .put("ok", result.ok())
          .put("instance", expected.orElse(null))
          .put("files", chosen.size())
          .put("entries", result.entries())
          .put("checkpoints", result.checkpoints())
          .put("last_seq", result.lastSeq())
          .put("unsealed", result.unsealed())
          .put("unwitnessed", result.unwitnessed())
          .put("problems", problems)
          .put("notes", new JsonArray(notes));
      StringBuilder text = new StringBuilder();
      result.problems().forEach(p -> text.append(p).append('\n'));
      text.append(result.ok() ? "OK: " : "TAMPERED: ").append(result.entries())
          .append(result.entries() == 1 ? " entry, " : " entries, ").append(result.checkpoints()).append(" checkpoint")
          .append(result.checkpoints() == 1 ? "" : "s").append(" in ")
          .append(chosen.size()).append(" file").append(chosen.size() == 1 ? "" : "s");
      notes.forEach(n -> text.append("\nnote: ").append(n));
      print(io, json, out, text.toString());
      return result.ok() ? ExitCodes.OK : ExitCodes.TAMPERED;
    }

    /** The installation named by --config, or the data directory's if there is one. */
    private Optional<KeywardConfig> config() throws CliException {
      if (locations.config == null && !Files.isDirectory(locations.dataDir)) {
        return Optional.empty();
      }
      return Optional.of(locations.load());
    }
  }

  /** {@code keyward audit public-key}: the key to pin in audit.public_key. */
  @Command(name = "public-key", mixinStandardHelpOptions = true,
      description = "Print the instance's audit public key (Tink JSON) from the store: save it"
          + " where the store cannot be written and name it in audit.public_key, so that `audit"
          + " verify` and Keyward itself trust that key and no other.")
  static final class PublicKey implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Locations locations;

    @Option(names = "--instance", paramLabel = "NAME",
        description = "Whose key (default: audit.instance of the configuration).")
    String instance;

    @Override
    public Integer call() throws Exception {
      KeywardConfig config = locations.load();
      String name = instance != null ? instance : config.audit().instance();
      try (Installation installation = Installation.open(config)) {
        KeysetHandle key = AuditKeys.publicKeyset(installation.storage().kv(), name)
            .orElseThrow(() -> new CliException(ExitCodes.NOT_FOUND, "instance " + name
                + " has no audit key yet: it is created at the instance's first start"));
        KeywardCommand.io(spec).out().println(AuditKeys.toJson(key));
        return ExitCodes.OK;
      } catch (KvException | GeneralSecurityException e) {
        throw new CliException(ExitCodes.UNAVAILABLE, "cannot read the audit public key: "
            + e.getMessage());
      }
    }
  }

  /** {@code keyward audit query}: find entries. */
  @Command(name = "query", mixinStandardHelpOptions = true,
      description = "Print audit entries (the latest --limit), filtered by agent, credential and"
          + " decision.")
  static final class Query implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Target target;

    @Option(names = "--agent", description = "Only this agent.")
    String agent;

    @Option(names = "--credential", description = "Only this credential id.")
    String credential;

    @Option(names = "--decision", paramLabel = "DECISION",
        description = "allowed, denied, would_deny or failed.")
    String decision;

    @Option(names = "--since", paramLabel = "DURATION", defaultValue = "24h",
        description = "How far back, e.g. 30m, 24h, 7d (default: ${DEFAULT-VALUE}).")
    String since;

    @Option(names = "--limit", defaultValue = "1000",
        description = "At most this many, the latest (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--json", description = "Print the entries as a JSON array.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      if (limit < 1 || limit > AuditQuery.MAX_LIMIT) {
        throw new CliException(ExitCodes.INVALID, "--limit must be 1-" + AuditQuery.MAX_LIMIT);
      }
      if (decision != null && !List.of("allowed", "denied", "would_deny", "failed")
          .contains(decision)) {
        throw new CliException(ExitCodes.INVALID,
            "--decision must be allowed, denied, would_deny or failed");
      }
      AuditQuery query = new AuditQuery(Optional.ofNullable(agent),
          Optional.ofNullable(credential), Optional.ofNullable(decision), since(since), limit);
      JsonArray entries = target.run(ops -> ops.queryAudit(query));
      StringBuilder lines = new StringBuilder();
      for (JsonObject e : objects(entries)) {
        if ("admin".equals(e.getString("type"))) {
          lines.append(String.join("\t", e.getString("time"), "admin", e.getString("outcome"),
              e.getString("code"), e.getString("operator"), e.getString("action"),
              e.getString("resource")));
        } else if ("attempt".equals(e.getString("type"))) {
          lines.append(String.join("\t", e.getString("time"), "attempt " + e.getInteger("attempt"),
              e.getString("outcome"), e.getString("code"), e.getString("agent"),
              e.getString("credential"), e.getString("route") + "/" + e.getString("target") + " "
                  + e.getString("target_host") + e.getString("path"),
              String.valueOf(e.getInteger("upstream_status"))));
        } else {
          lines.append(String.join("\t", e.getString("time"), e.getString("decision"),
              e.getString("code"), e.getString("agent"), String.valueOf(e.getString("credential")),
              e.getString("method") + " " + e.getString("target_host") + e.getString("path"),
              String.valueOf(e.getInteger("status"))));
        }
        lines.append('\n');
      }
      print(KeywardCommand.io(spec), json, entries, lines.toString().stripTrailing());
      return ExitCodes.OK;
    }
  }

  /** {@code keyward audit report}: per credential, who used it and how. */
  @Command(name = "report", mixinStandardHelpOptions = true,
      description = "Per credential: which agents used it, requests, denials and which versions.")
  static final class Report implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Target target;

    @Option(names = "--since", paramLabel = "DURATION", defaultValue = "7d",
        description = "How far back (default: ${DEFAULT-VALUE}).")
    String since;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      Instant from = since(since);
      JsonArray report = target.run(ops -> ops.auditReport(from));
      StringBuilder text = new StringBuilder("Credential use since " + from + "\n");
      for (JsonObject line : objects(report)) {
        String credential = line.getString("credential");
        text.append('\n').append(credential == null ? "(no credential: refused before one was"
            + " chosen)" : credential).append('\n')
            .append("  requests ").append(line.getLong("requests"))
            .append(", allowed ").append(line.getLong("allowed"))
            .append(", denied ").append(line.getLong("denied"))
            .append(", would_deny ").append(line.getLong("would_deny"))
            .append(", failed ").append(line.getLong("failed")).append('\n')
            .append("  versions ").append(line.getJsonArray("versions").encode()).append('\n');
        for (JsonObject agent : objects(line.getJsonArray("agents"))) {
          text.append("  agent ").append(agent.getString("agent").isEmpty() ? "(unauthenticated)"
              : agent.getString("agent")).append(": ").append(agent.getLong("requests"))
              .append(" requests\n");
        }
      }
      print(KeywardCommand.io(spec), json, report, text.toString().stripTrailing());
      return ExitCodes.OK;
    }
  }

  static Instant since(String value) throws CliException {
    try {
      return Instant.now().minus(Durations.parse(value));
    } catch (IllegalArgumentException e) {
      throw new CliException(ExitCodes.INVALID, "--since: " + e.getMessage());
    }
  }
}
