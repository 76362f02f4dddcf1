package dev.keyward.proxy.cli;

import dev.keyward.proxy.Keyward;
import dev.keyward.proxy.config.ConfigException;
import dev.keyward.proxy.config.KeywardConfig;
import java.time.Clock;

/** Runs a Keyward server until SIGTERM/SIGINT (or, in tests, the {@link Io#stop} latch). */
final class Servers {

  private Servers() {}

  static Keyward start(KeywardConfig config) throws CliException {
    try {
      return Keyward.start(config, Clock.systemUTC());
    } catch (ConfigException e) {
      throw new CliException(ExitCodes.INVALID, e.getMessage());
    }
  }

  static int runUntilStopped(Keyward keyward, Io io) throws InterruptedException {
    // On SIGTERM the JVM only waits for shutdown hooks, so the hook itself drains and stops.
    Thread hook = new Thread(() -> {
      keyward.close();
      io.stop().countDown();
    }, "keyward-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      io.stop().await();
    } finally {
      keyward.close();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // already shutting down: the hook has run
      }
    }
    return ExitCodes.OK;
  }
}
