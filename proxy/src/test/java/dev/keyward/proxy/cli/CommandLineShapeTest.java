package dev.keyward.proxy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.testing.Cli;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** Properties of the whole {@code keyward} command tree. */
class CommandLineShapeTest {

  /** Every command line of the tree, e.g. {@code [credential, put]}. */
  static List<List<String>> commands(CommandLine command, List<String> prefix) {
    List<List<String>> all = new ArrayList<>();
    all.add(prefix);
    command.getSubcommands().forEach((name, sub) -> {
      List<String> path = new ArrayList<>(prefix);
      path.add(name);
      all.addAll(commands(sub, path));
    });
    return all;
  }

  static CommandLine root() {
    return Main.commandLine(Io.system());
  }

  static CommandLine at(CommandLine root, List<String> path) {
    CommandLine command = root;
    for (String name : path) {
      command = command.getSubcommands().get(name);
    }
    return command;
  }

  @Test
  void everyCommandReadsTheSameWhenOnlyItsSubcommandIsBuilt() {
    // Main builds only the subcommand it runs (picocli inspects every command it is given).
    for (List<String> path : commands(root(), List.of())) {
      if (path.isEmpty()) {
        continue;
      }
      CommandLine alone = at(Main.commandLine(Io.system(), path.get(0)), path);
      assertEquals(at(root(), path).getUsageMessage(), alone.getUsageMessage(), path.toString());
      assertEquals(at(root(), path).isUnmatchedOptionsArePositionalParams(),
          alone.isUnmatchedOptionsArePositionalParams(), path.toString());
    }
  }

  @Test
  void everyCommandExplainsItselfWithHelp() {
    for (List<String> command : commands(root(), List.of())) {
      List<String> args = new ArrayList<>(command);
      args.add("--help");
      Cli.Result result = Cli.run(args.toArray(new String[0]));
      assertEquals(ExitCodes.OK, result.exit(), command + ": " + result);
      assertTrue(result.out().contains("Usage: keyward"), command + ": " + result.out());
    }
  }

  @Test
  void noOptionTakesASecretOrATokenAsItsValue() {
    // Values on the command line end up in shell history and in ps: secrets and tokens are read
    // from stdin, a file, or the environment.
    Set<String> allowed = Set.of("--secret-file", "--operator-token-file");
    List<String> offending = new ArrayList<>();
    for (List<String> path : commands(root(), List.of())) {
      CommandLine command = root();
      for (String name : path) {
        command = command.getSubcommands().get(name);
      }
      for (OptionSpec option : command.getCommandSpec().options()) {
        String name = option.longestName();
        boolean takesValue = option.arity().max() > 0;
        if (takesValue && name.matches(".*(secret|token|key|password).*")
            && !allowed.contains(name)) {
          offending.add(path + " " + name);
        }
      }
    }
    assertTrue(offending.isEmpty(), "options taking a secret value: " + offending);
  }
}
