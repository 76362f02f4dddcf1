package dev.keyward.proxy.cli;

import static dev.keyward.proxy.cli.CredentialCommand.print;

import dev.keyward.proxy.config.Durations;
import dev.keyward.token.Role;
import dev.keyward.token.TokenIssuer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code keyward operator …}: the people who use the admin API. */
@Command(name = "operator", mixinStandardHelpOptions = true,
    description = "Operators and auditors of the admin API.",
    subcommands = {OperatorCommand.Token.class})
final class OperatorCommand implements Runnable {

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(KeywardCommand.io(spec).err());
  }

  /**
   * {@code keyward operator token}: mint an operator token. Needs the signing keys (the store and
   * the KEK), so it never runs over the admin API: whoever can run it already holds the keys.
   */
  @Command(name = "token", mixinStandardHelpOptions = true,
      description = "Mint an operator token for the admin API and print it. Runs on the store"
          + " (--config or --data-dir), never over the admin API. Role operator may do"
          + " everything; auditor may only read. Revoke with `keyward token revoke JTI`.")
  static final class Token implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Locations locations;

    @Option(names = "--name", required = true,
        description = "Who the token is for; recorded with every admin action it makes.")
    String name;

    @Option(names = "--role", required = true, paramLabel = "ROLE",
        description = "operator or auditor.")
    String role;

    @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "1h",
        description = "Lifetime, at most 12h (default: ${DEFAULT-VALUE}).")
    String ttl;

    @Option(names = "--json", description = "Print the token and its claims as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      Role parsedRole = Role.fromClaim(role).orElseThrow(() -> new CliException(ExitCodes.INVALID,
          "--role must be operator or auditor"));
      Duration lifetime;
      try {
        lifetime = Durations.parse(ttl);
      } catch (IllegalArgumentException e) {
        throw new CliException(ExitCodes.INVALID, e.getMessage());
      }
      if (lifetime.compareTo(TokenIssuer.MAX_OPERATOR_TTL) > 0) {
        throw new CliException(ExitCodes.INVALID, "--ttl is at most "
            + Durations.format(TokenIssuer.MAX_OPERATOR_TTL));
      }
      JsonObject issued = Target.onStore(locations,
          ops -> ops.mintOperatorToken(name, parsedRole, lifetime));
      print(KeywardCommand.io(spec), json, issued, issued.getString("token"));
      return ExitCodes.OK;
    }
  }
}
