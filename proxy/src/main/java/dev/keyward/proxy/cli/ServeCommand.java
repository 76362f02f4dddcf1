package dev.keyward.proxy.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code keyward serve --config FILE}: run with an explicit configuration. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Run Keyward with the given configuration file (see docs/configuration.md).")
final class ServeCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--config", paramLabel = "FILE", required = true,
      description = "Keyward configuration file (YAML).")
  Path config;

  @Override
  public Integer call() throws Exception {
    Locations locations = new Locations();
    locations.config = config;
    return Servers.runUntilStopped(Servers.start(locations.load()), KeywardCommand.io(spec));
  }
}
