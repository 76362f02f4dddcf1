package dev.keyward.proxy.cli;

import static dev.keyward.proxy.cli.CredentialCommand.objects;
import static dev.keyward.proxy.cli.CredentialCommand.print;
import static dev.keyward.proxy.cli.CredentialCommand.strings;

import dev.keyward.token.TokenIssuer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code keyward agent …}: registered agents, which exchange their secret for tokens. */
@Command(name = "agent", mixinStandardHelpOptions = true,
    description = "Agents: identities that exchange a secret for platform tokens at POST /v1/tokens.",
    subcommands = {AgentCommand.Create.class, AgentCommand.ListAgents.class,
        AgentCommand.Disable.class, AgentCommand.Enable.class, AgentEnvCommand.class})
final class AgentCommand implements Runnable {

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(KeywardCommand.io(spec).err());
  }

  /** {@code keyward agent create}: register an agent; prints its secret once. */
  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Register an agent and print its secret. The secret is shown only now; only a"
          + " salted hash is stored.")
  static final class Create implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Target target;

    @Parameters(index = "0", paramLabel = "ID", description = "Agent id, e.g. support-bot.")
    String id;

    @Option(names = "--tenant", required = true, description = "Tenant the agent acts for.")
    String tenant;

    @Option(names = "--group", paramLabel = "GROUP", description = "Group; repeatable.")
    List<String> groups = new ArrayList<>();

    @Option(names = "--actor", description = CredentialCommand.ACTOR_HELP)
    String actor;

    @Option(names = "--json", description = "Print the agent and its secret as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      JsonObject created = target.run(ops -> ops.createAgent(id, tenant, Set.copyOf(groups),
          Target.actor(actor)));
      print(KeywardCommand.io(spec), json, created, "Agent " + id + " (tenant " + tenant
          + ") created. Its secret, shown only now:\n\n  " + created.getString("secret")
          + "\n\nExchange it for a platform token (at most " + TokenIssuer.MAX_TTL.toMinutes()
          + " minutes each):\n  curl -sS -X POST http://127.0.0.1:8080/v1/tokens -H"
          + " 'Content-Type: application/json' -d '{\"client_id\":\"" + id
          + "\",\"client_secret\":\"<secret>\"}'");
      return ExitCodes.OK;
    }
  }

  /** {@code keyward agent list}. */
  @Command(name = "list", mixinStandardHelpOptions = true, description = "List registered agents.")
  static final class ListAgents implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Target target;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      JsonArray agents = target.run(ops -> ops.listAgents());
      StringBuilder lines = new StringBuilder();
      for (JsonObject agent : objects(agents)) {
        lines.append(agent.getString("id")).append("\ttenant=").append(agent.getString("tenant"))
            .append("\tgroups=").append(String.join(",", strings(agent.getJsonArray("groups"))))
            .append(agent.getBoolean("disabled") ? "\tDISABLED" : "").append('\n');
      }
      print(KeywardCommand.io(spec), json, agents, lines.toString().stripTrailing());
      return ExitCodes.OK;
    }
  }

  /** {@code keyward agent disable}: every token of the agent is refused; no new ones. */
  @Command(name = "disable", mixinStandardHelpOptions = true,
      description = "Disable an agent: all its tokens are refused within the refresh interval, and"
          + " it can no longer exchange its secret.")
  static final class Disable implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Target target;

    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      JsonObject result = target.run(ops -> ops.setAgentDisabled(id, true));
      print(KeywardCommand.io(spec), json, result, "Disabled agent " + id);
      return ExitCodes.OK;
    }
  }

  /** {@code keyward agent enable}. */
  @Command(name = "enable", mixinStandardHelpOptions = true, description = "Re-enable an agent.")
  static final class Enable implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Target target;

    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      JsonObject result = target.run(ops -> ops.setAgentDisabled(id, false));
      print(KeywardCommand.io(spec), json, result, "Enabled agent " + id);
      return ExitCodes.OK;
    }
  }
}
