package dev.keyward.proxy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.testing.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DevCommandTest {

  @TempDir
  Path dir;

  @Test
  void exitsOnceReadyWhenTheLauncherTrainsItsStartUpArchive() {
    Path data = dir.resolve("data");
    Cli.Result result = Cli.run("dev", "--data-dir", data.toString(), "--port", "0",
        "--admin-port", "0", "--exit-when-ready");
    assertEquals(ExitCodes.OK, result.exit(), result.toString());
    assertTrue(result.out().contains("http://127.0.0.1:"), result.out());
    assertTrue(Files.isDirectory(data), "the data directory was created as by a first run");
  }
}
