package dev.keyward.proxy.cli;

import picocli.CommandLine;

/** Entry point of the {@code keyward} launcher. */
public final class Main {

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
    CommandLine cli = new CommandLine(new KeywardCommand(io));
    // A jti is base64url: one issued before jtis avoided a leading '-' may start with one.
    cli.getSubcommands().get("token").getSubcommands().get("revoke")
        .setUnmatchedOptionsArePositionalParams(true)
        .setPosixClusteredShortOptionsAllowed(false);
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
}
