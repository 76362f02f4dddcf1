package dev.keyward.proxy.cli;

import dev.keyward.proxy.config.ConfigException;
import dev.keyward.proxy.config.KeywardConfig;
import dev.keyward.proxy.dev.DataDirectory;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --config FILE} or {@code --data-dir DIR}: which Keyward installation a command acts on. */
final class Locations {

  @Option(names = "--config", paramLabel = "FILE",
      description = "Keyward configuration file (default: the one in --data-dir).")
  Path config;

  @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = DataDirectory.DEFAULT,
      description = "Data directory of the embedded default (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  KeywardConfig load() throws CliException {
    try {
      return config != null ? KeywardConfig.load(config) : DataDirectory.config(dataDir);
    } catch (ConfigException e) {
      throw new CliException(ExitCodes.INVALID, e.getMessage());
    }
  }
}
