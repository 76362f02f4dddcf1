package dev.keyward.proxy.cli;

import dev.keyward.policies.InvalidPolicyException;
import dev.keyward.policies.PolicyLoader;
import dev.keyward.policies.PolicyProblem;
import dev.keyward.policies.PolicySet;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code keyward policy …}: policy documents. */
@Command(name = "policy", mixinStandardHelpOptions = true, description = "Policy documents.",
    subcommands = {PolicyCommand.Check.class})
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

    @Override
    public Integer call() throws Exception {
      Io io = KeywardCommand.io(spec);
      try {
        PolicySet policy = PolicyLoader.load(file);
        io.out().println(file + ": OK, version " + policy.version() + ": "
            + policy.credentialCount() + " credentials, " + policy.routeCount() + " routes, "
            + policy.grantCount() + " grants");
        return ExitCodes.OK;
      } catch (InvalidPolicyException e) {
        for (PolicyProblem problem : e.problems()) {
          io.out().println(problem);
        }
        io.err().println("keyward: " + e.problems().size() + " problem"
            + (e.problems().size() == 1 ? "" : "s") + " in " + file);
        return ExitCodes.INVALID;
      } catch (IOException e) {
        throw new CliException(ExitCodes.FAILED, "cannot read " + file + ": " + e.getMessage());
      }
    }
  }
}
