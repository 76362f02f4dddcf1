package dev.keyward.proxy.cli;

import dev.keyward.proxy.Keyward;
import dev.keyward.proxy.config.KeywardConfig;
import dev.keyward.proxy.dev.DataDirectory;
import dev.keyward.proxy.dev.DemoProvider;
import dev.keyward.proxy.dev.QuickStart;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code keyward dev}: the embedded default, one process, no Vault. */
@Command(name = "dev", mixinStandardHelpOptions = true,
    description = {"Run Keyward on the embedded default: token issuer and proxy in one process,"
        + " credentials in an encrypted local store, and a fake LLM provider on loopback behind"
        + " the demo route. Creates the data directory on first run and prints a quick start."})
final class DevCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = DataDirectory.DEFAULT,
      description = "Data directory (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(names = "--host", paramLabel = "HOST",
      description = "Address to listen on (default: from the data directory's config, 127.0.0.1).")
  String host;

  @Option(names = "--port", paramLabel = "PORT",
      description = "Port to listen on; 0 picks a free one (default: from the config, 8080).")
  Integer port;

  @Option(names = "--admin-port", paramLabel = "PORT",
      description = "Port of the admin API; 0 picks a free one (default: from the config, 8081).")
  Integer adminPort;

  /** The launcher's training run for its start-up archive: start as usual, then stop at once. */
  @Option(names = "--exit-when-ready", hidden = true)
  boolean exitWhenReady;

  @Override
  public Integer call() throws Exception {
    Io io = KeywardCommand.io(spec);
    boolean firstRun;
    try {
      firstRun = DataDirectory.initialize(dataDir);
    } catch (IOException | GeneralSecurityException e) {
      throw new CliException(ExitCodes.FAILED,
          "cannot create the data directory " + dataDir.toAbsolutePath() + ": " + e.getMessage());
    }
    KeywardConfig config;
    try {
      config = DataDirectory.config(dataDir);
    } catch (dev.keyward.proxy.config.ConfigException e) {
      throw new CliException(ExitCodes.INVALID, e.getMessage());
    }
    config = config.withListen(host != null ? host : config.host(),
        port != null ? port : config.port());
    if (adminPort != null) {
      config = config.withAdminPort(adminPort);
    }
    Optional<DemoProvider> demo = startDemo(config, io);
    try {
      if (demo.isPresent()) {
        config = demo.get().wire(config);
      }
      Keyward keyward = Servers.start(config);
      String baseUrl = "http://" + hostForUrl(config.host()) + ":" + keyward.port();
      String adminUrl = config.admin().enabled()
          ? "http://" + hostForUrl(config.admin().host()) + ":" + keyward.adminPort()
          : "(admin API disabled)";
      io.out().println(QuickStart.text(launcher(), dataDir, baseUrl, adminUrl, firstRun,
          demo.isPresent()));
      io.out().flush();
      if (exitWhenReady) {
        keyward.close();
        return ExitCodes.OK;
      }
      return Servers.runUntilStopped(keyward, io);
    } finally {
      demo.ifPresent(DemoProvider::close);
    }
  }

  /** The fake provider behind the {@code demo} route; {@code keyward dev} also runs without. */
  private static Optional<DemoProvider> startDemo(KeywardConfig config, Io io) {
    try {
      return DemoProvider.start(config, Clock.systemUTC());
    } catch (DemoProvider.DemoException e) {
      io.err().println("keyward dev: the demo route's fake provider is off: " + e.getMessage());
      return Optional.empty();
    }
  }

  private static String hostForUrl(String host) {
    return host.contains(":") ? "[" + host + "]" : host;
  }

  private static String launcher() {
    String launcher = System.getenv("KEYWARD_LAUNCHER");
    return launcher == null || launcher.isBlank() ? "keyward" : launcher;
  }
}
