package dev.keyward.proxy.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine;

/** Entry point of the {@code keyward} launcher. */
public final class Main {

  /** The subcommands of {@code keyward}, in the order its help lists them. */
  private static final Map<String, Supplier<Object>> SUBCOMMANDS = new LinkedHashMap<>();

  static {
    SUBCOMMANDS.put("dev", DevCommand::new);
    SUBCOMMANDS.put("serve", ServeCommand::new);
    SUBCOMMANDS.put("token", TokenCommand::new);
    SUBCOMMANDS.put("agent", AgentCommand::new);
    SUBCOMMANDS.put("credential", CredentialCommand::new);
    SUBCOMMANDS.put("kek", KekCommand::new);
    SUBCOMMANDS.put("policy", PolicyCommand::new);
    SUBCOMMANDS.put("audit", AuditCommand::new);
    SUBCOMMANDS.put("operator", OperatorCommand::new);
    SUBCOMMANDS.put("usage", UsageCommand::new);
  }

  private Main() {}

  public static void main(String[] args) {
    // Netty registers its buffer allocator's JFR event types when it first allocates, which
    // initialises JFR's machinery (about 300 classes) at every start even with no recording.
    // -Dio.netty.jfr.enabled=true brings the events back for a profiling session.
    if (System.getProperty("io.netty.jfr.enabled") == null) {
      System.setProperty("io.netty.jfr.enabled", "false");
    }
    System.exit(run(Io.system(), args));
  }

  /** Runs one command line; returns its exit code. */
  public static int run(Io io, String... args) {
    CommandLine cli = args.length > 0 && SUBCOMMANDS.containsKey(args[0])
        ? commandLine(io, args[0]) : commandLine(io);
    cli.setOut(new java.io.PrintWriter(io.out(), true));
    cli.setErr(new java.io.PrintWriter(io.err(), true));
    cli.setExecutionExceptionHandler((e, commandLine, parsed) -> {
      if (e instanceof CliException failure) {
        io.err().println("keyward: " + failure.getMessage());
        return failure.exitCode();
      }
      io.err().println("keyward: " + e);
      return ExitCodes.FAILED;
    });
    return cli.execute(args);
  }

  /** The whole command tree. */
  static CommandLine commandLine(Io io) {
    return commandLine(io, null);
  }

  /**
   * The tree with only the subcommand {@code only} (all when null): picocli inspects every
   * command it is given, about a third of a second at each start when all are.
   */
  static CommandLine commandLine(Io io, String only) {
    CommandLine cli = new CommandLine(new KeywardCommand(io));
    SUBCOMMANDS.forEach((name, command) -> {
      if (only == null || only.equals(name)) {
        cli.addSubcommand(name, command.get());
      }
    });
    if (cli.getSubcommands().containsKey("token")) {
      // A jti is base64url: one issued before jtis avoided a leading '-' may start with one.
      cli.getSubcommands().get("token").getSubcommands().get("revoke")
          .setUnmatchedOptionsArePositionalParams(true)
          .setPosixClusteredShortOptionsAllowed(false);
    }
    return cli;
  }
}
