package dev.keyward.proxy.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code keyward}: the root command. */
@Command(name = "keyward", mixinStandardHelpOptions = true, version = "Keyward 0.1.0",
    description = "BYOK credential-injection proxy for AI agents.",
    // The subcommands are added by Main.commandLine.
    exitCodeOnInvalidInput = ExitCodes.USAGE)
public final class KeywardCommand implements Runnable {

  private final Io io;

  @Spec
  CommandSpec spec;

  public KeywardCommand(Io io) {
    this.io = io;
  }

  Io io() {
    return io;
  }

  /** The {@link Io} of the command line a (sub)command runs in. */
  static Io io(CommandSpec spec) {
    return ((KeywardCommand) spec.root().userObject()).io;
  }

  @Override
  public void run() {
    spec.commandLine().usage(io.err());
  }
}
