package dev.keyward.proxy.cli;

import dev.keyward.proxy.config.Durations;
import dev.keyward.token.IssuedToken;
import dev.keyward.token.Purpose;
import dev.keyward.token.TokenIssuer;
import dev.keyward.token.TokenRequest;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code keyward token …}: platform tokens. */
@Command(name = "token", mixinStandardHelpOptions = true, description = "Platform tokens for agents.",
    subcommands = {TokenCommand.Issue.class})
final class TokenCommand implements Runnable {

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(KeywardCommand.io(spec).err());
  }

  /** {@code keyward token issue}: mint a token directly with the installation's signing keys. */
  @Command(name = "issue", mixinStandardHelpOptions = true,
      description = "Mint a platform token for an agent and print it (only the token, unless --json).")
  static final class Issue implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Locations locations;

    @Option(names = "--agent", required = true, description = "Agent id (the token's sub).")
    String agent;

    @Option(names = "--tenant", required = true, description = "Tenant the agent belongs to.")
    String tenant;

    @Option(names = "--group", paramLabel = "GROUP", description = "Group of the agent; repeatable.")
    List<String> groups = new ArrayList<>();

    @Option(names = "--purpose", paramLabel = "PURPOSE",
        description = "conversation, heartbeat or subagent.")
    String purpose;

    @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "15m",
        description = "Lifetime, at most 1h (default: ${DEFAULT-VALUE}).")
    String ttl;

    @Option(names = "--json", description = "Print the token and its claims as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      Io io = KeywardCommand.io(spec);
      Installation installation = Installation.open(locations.load());
      TokenRequest request;
      try {
        Duration lifetime = Durations.parse(ttl);
        Optional<Purpose> parsedPurpose = Optional.empty();
        if (purpose != null) {
          parsedPurpose = Optional.of(Purpose.fromClaim(purpose).orElseThrow(() ->
              new IllegalArgumentException("purpose must be conversation, heartbeat or subagent")));
        }
        request = new TokenRequest(agent, tenant, Set.copyOf(groups), parsedPurpose, lifetime);
      } catch (IllegalArgumentException e) {
        throw new CliException(ExitCodes.INVALID, e.getMessage());
      }
      TokenIssuer issuer = new TokenIssuer(installation.signingKeys(),
          installation.config().issuer(), Clock.systemUTC());
      IssuedToken issued;
      try {
        issued = issuer.issue(request);
      } catch (IllegalArgumentException e) {
        throw new CliException(ExitCodes.INVALID, e.getMessage());
      }
      if (json) {
        io.out().println(new JsonObject()
            .put("token", issued.token())
            .put("agent", issued.claims().agent())
            .put("tenant", issued.claims().tenant())
            .put("jti", issued.claims().jti())
            .put("expires_at", issued.claims().expiresAt().toString())
            .encodePrettily());
      } else {
        io.out().println(issued.token());
      }
      return ExitCodes.OK;
    }
  }
}
