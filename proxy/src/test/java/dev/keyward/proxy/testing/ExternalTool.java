package dev.keyward.proxy.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/**
 * A command-line tool a test drives as an agent would (curl, git): found on the PATH, or the test
 * is skipped with a message that says so, or fails when {@code KEYWARD_REQUIRE_<TOOL>=1} (as in
 * CI, which installs it).
 */
public final class ExternalTool {

  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration RUN_TIMEOUT = Duration.ofSeconds(120);

  private final String name;
  private final Path work;

  /** What one run printed, and how it ended ({@code -1}: killed at the deadline). */
  public record Run(int exit, String stdout, String stderr) {

    public String everything() {
      return stdout + "\n" + stderr;
    }
  }

  private ExternalTool(String name, Path work) {
    this.name = name;
    this.work = work;
  }

  /**
   * {@code name}, when {@code name --version} runs here. Otherwise the calling test is skipped,
   * or fails under {@code KEYWARD_REQUIRE_<NAME>=1}.
   */
  public static ExternalTool require(String name, Path work) {
    String problem;
    try {
      Path out = Files.createTempFile(work, name, ".version");
      int exit = NodeClients.exec(List.of(name, "--version"), work, Map.of(), PROBE_TIMEOUT, out,
          out);
      problem = exit == 0 ? null : "`" + name + " --version` failed (exit " + exit + ")";
    } catch (IOException e) {
      problem = "`" + name + "` is not installed (not on the PATH)";
    }
    unavailableIf(problem, name);
    return new ExternalTool(name, work);
  }

  /** A program that comes with {@code tool} (git's http-backend): there, or skip or fail. */
  public void requireProgram(Path program) {
    unavailableIf(Files.isExecutable(program) ? null : program + " (part of " + name
        + ") is not installed", name);
  }

  private static void unavailableIf(String problem, String name) {
    if (problem == null) {
      return;
    }
    String requireEnv = "KEYWARD_REQUIRE_" + name.toUpperCase(java.util.Locale.ROOT);
    if ("1".equals(System.getenv(requireEnv))) {
      fail(problem + " (" + requireEnv + "=1 makes this a failure instead of a skip)");
    }
    Assumptions.abort(problem + ". Skipped; install " + name + ", or set " + requireEnv
        + "=1 to make this a failure.");
  }

  /** Runs {@code name args…} in {@code dir} with {@code env} added, a 2 min deadline. */
  public Run run(Path dir, Map<String, String> env, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(name));
    command.addAll(List.of(args));
    Path out = Files.createTempFile(work, name, ".out");
    Path err = Files.createTempFile(work, name, ".err");
    try {
      int exit = NodeClients.exec(command, dir, env, RUN_TIMEOUT, out, err);
      return new Run(exit, Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }
}
