package dev.keyward.proxy.cli;

import dev.keyward.proxy.admin.LocalOperations;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code keyward policy …}: policy documents. */
@Command(name = "policy", mixinStandardHelpOptions = true, description = "Policy documents.",
    subcommands = {PolicyCommand.Check.class, PolicyCommand.Reload.class})
final class PolicyCommand implements Runnable {

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(KeywardCommand.io(spec).err());
  }

  /** {@code keyward policy check FILE}: validate without loading it anywhere. */
  @Command(name = "check", mixinStandardHelpOptions = true,
      description = "Validate a policy file. Prints every problem as file:line:column: message and"
          + " exits with " + ExitCodes.INVALID + " if there is any.")
  static final class Check implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "The policy document (YAML).")
    Path file;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      Io io = KeywardCommand.io(spec);
      String yaml;
      try {
        yaml = Files.readString(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new CliException(ExitCodes.FAILED, "cannot read " + file + ": " + e.getMessage());
      }
      JsonObject result = LocalOperations.policyCheck(file.toString(), yaml);
      if (json) {
        CredentialCommand.print(io, true, result, "");
      } else if (result.getBoolean("ok")) {
        io.out().println(file + ": OK, version " + result.getString("version") + ": "
            + result.getInteger("credentials") + " credentials, " + result.getInteger("routes")
            + " routes, " + result.getInteger("grants") + " grants");
      } else {
        JsonArray problems = result.getJsonArray("problems");
        io.out().println(Reload.describe(problems));
        io.err().println("keyward: " + problems.size() + " problem"
            + (problems.size() == 1 ? "" : "s") + " in " + file);
      }
      return result.getBoolean("ok") ? ExitCodes.OK : ExitCodes.INVALID;
    }
  }

  /** {@code keyward policy reload}: make a running Keyward re-read its policy file now. */
  @Command(name = "reload", mixinStandardHelpOptions = true,
      description = "Make the running Keyward behind --admin-url re-read its policy file now"
          + " (it also polls every policy_reload_interval). An invalid file is refused and the"
          + " current policy stays in force; every problem is printed and the exit code is "
          + ExitCodes.INVALID + ".")
  static final class Reload implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Target target;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      Io io = KeywardCommand.io(spec);
      JsonObject result = target.run(ops -> ops.reloadPolicy());
      boolean ok = result.getBoolean("ok");
      StringBuilder text = new StringBuilder(ok
          ? (result.getBoolean("changed") ? "Reloaded: policy " : "Unchanged: policy ")
              + result.getString("version")
          : "Refused: policy " + result.getString("version") + " stays in force");
      JsonArray problems = result.getJsonArray("problems");
      if (!problems.isEmpty()) {
        text.append('\n').append(describe(problems));
      }
      CredentialCommand.print(io, json, result, text.toString());
      return ok ? ExitCodes.OK : ExitCodes.INVALID;
    }

    /** One {@code file:line:column: message} line per problem. */
    static String describe(JsonArray problems) {
      StringBuilder text = new StringBuilder();
      for (JsonObject problem : CredentialCommand.objects(problems)) {
        text.append(problem.getString("source")).append(':').append(problem.getInteger("line"))
            .append(':').append(problem.getInteger("column")).append(": ")
            .append(problem.getString("message")).append('\n');
      }
      return text.toString().stripTrailing();
    }
  }
}
