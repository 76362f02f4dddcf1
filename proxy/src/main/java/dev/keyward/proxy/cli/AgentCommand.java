package dev.keyward.proxy.cli;

import dev.keyward.token.Agent;
import dev.keyward.token.AgentCredentials;
import dev.keyward.token.AgentExistsException;
import dev.keyward.token.TokenIssuer;
import dev.keyward.vault.KvException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
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
        AgentCommand.Disable.class, AgentCommand.Enable.class})
final class AgentCommand implements Runnable {

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(KeywardCommand.io(spec).err());
  }

  static JsonObject toJson(Agent agent, boolean disabled) {
    return new JsonObject()
        .put("id", agent.id())
        .put("tenant", agent.tenant())
        .put("groups", new JsonArray(agent.groups().stream().sorted().toList()))
        .put("created_by", agent.createdBy())
        .put("created_at", agent.createdAt().toString())
        .put("disabled", disabled);
  }

  /** {@code keyward agent create}: register an agent; prints its secret once. */
  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Register an agent and print its secret. The secret is shown only now; only a"
          + " salted hash is stored.")
  static final class Create implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Locations locations;

    @Parameters(index = "0", paramLabel = "ID", description = "Agent id, e.g. support-bot.")
    String id;

    @Option(names = "--tenant", required = true, description = "Tenant the agent acts for.")
    String tenant;

    @Option(names = "--group", paramLabel = "GROUP", description = "Group; repeatable.")
    List<String> groups = new ArrayList<>();

    @Option(names = "--actor", description = "Who is doing this (default: the OS user).")
    String actor;

    @Option(names = "--json", description = "Print the agent and its secret as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      Io io = KeywardCommand.io(spec);
      AgentCredentials created;
      try (Installation installation = Installation.open(locations.load())) {
        created = installation.agents().create(id, tenant, Set.copyOf(groups),
            actor == null ? System.getProperty("user.name", "operator") : actor, Instant.now());
      } catch (IllegalArgumentException e) {
        throw new CliException(ExitCodes.INVALID, e.getMessage());
      } catch (AgentExistsException e) {
        throw new CliException(ExitCodes.CONFLICT, e.getMessage());
      } catch (KvException e) {
        throw new CliException(ExitCodes.UNAVAILABLE, e.getMessage());
      }
      if (json) {
        io.out().println(toJson(created.agent(), false).put("secret", created.secret())
            .encodePrettily());
      } else {
        io.out().println("Agent " + id + " (tenant " + tenant + ") created. Its secret, shown only"
            + " now:\n\n  " + created.secret() + "\n\nExchange it for a platform token (at most "
            + TokenIssuer.MAX_TTL.toMinutes() + " minutes each):\n  curl -sS -X POST"
            + " http://127.0.0.1:8080/v1/tokens -H 'Content-Type: application/json' -d"
            + " '{\"client_id\":\"" + id + "\",\"client_secret\":\"<secret>\"}'");
      }
      return ExitCodes.OK;
    }
  }

  /** {@code keyward agent list}. */
  @Command(name = "list", mixinStandardHelpOptions = true, description = "List registered agents.")
  static final class ListAgents implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Locations locations;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      Io io = KeywardCommand.io(spec);
      try (Installation installation = Installation.open(locations.load())) {
        Set<String> disabled = installation.revocations().load().value().disabledAgents();
        JsonArray all = new JsonArray();
        for (Agent agent : installation.agents().list()) {
          if (json) {
            all.add(toJson(agent, disabled.contains(agent.id())));
          } else {
            io.out().println(agent.id() + "\ttenant=" + agent.tenant() + "\tgroups="
                + String.join(",", agent.groups()) + (disabled.contains(agent.id()) ? "\tDISABLED" : ""));
          }
        }
        if (json) {
          io.out().println(all.encodePrettily());
        }
      } catch (KvException e) {
        throw new CliException(ExitCodes.UNAVAILABLE, e.getMessage());
      }
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
    Locations locations;

    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Override
    public Integer call() throws Exception {
      return setDisabled(spec, locations, id, true);
    }
  }

  /** {@code keyward agent enable}. */
  @Command(name = "enable", mixinStandardHelpOptions = true, description = "Re-enable an agent.")
  static final class Enable implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Locations locations;

    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Override
    public Integer call() throws Exception {
      return setDisabled(spec, locations, id, false);
    }
  }

  private static int setDisabled(CommandSpec spec, Locations locations, String id, boolean disabled)
      throws CliException {
    try (Installation installation = Installation.open(locations.load())) {
      if (installation.agents().find(id).isEmpty()) {
        throw new CliException(ExitCodes.NOT_FOUND, "no agent '" + id + "'");
      }
      installation.revocations().setAgentDisabled(id, disabled, Instant.now());
    } catch (KvException e) {
      throw new CliException(ExitCodes.UNAVAILABLE, e.getMessage());
    }
    KeywardCommand.io(spec).out().println((disabled ? "Disabled" : "Enabled") + " agent " + id);
    return ExitCodes.OK;
  }
}
