package dev.keyward.proxy.testing;

import java.nio.file.Path;

/**
 * Where the suite's log lines go (logback-test.xml): one JSON-lines file per process, all scanned
 * for secrets by LeakScanTest.
 */
public final class TestLogs {

  public static final Path DIR = Path.of("target", "test-logs");

  private TestLogs() {}

  /** The JVM option that sends a process's log lines to its own file in {@link #DIR}. */
  public static String optionFor(String process) {
    return "-Dkeyward.test.log=" + DIR.resolve(process + ".jsonl").toAbsolutePath();
  }
}
