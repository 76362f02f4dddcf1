package dev.keyward.proxy.testing;

import static org.junit.jupiter.api.Assertions.fail;

import io.vertx.core.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * The official OpenAI and Anthropic Node SDKs, installed from the npm registry into {@code
 * target/node-clients} (once per build: a stamp of the lockfile and the Node version skips the
 * install while they are unchanged), and the client scripts of {@code src/test/node} run against
 * Keyward with a deadline.
 *
 * <p>Without {@code node} and {@code npm}, or when the install fails (offline), {@link #require()}
 * skips the calling tests with a message saying why. With {@value #REQUIRE_ENV}{@code =1} in the
 * environment (CI sets it), that is a failure instead.
 */
public final class NodeClients {

  /** Set to {@code 1} to turn a missing Node.js or a failed install into a test failure. */
  public static final String REQUIRE_ENV = "KEYWARD_REQUIRE_NODE";
  static final Duration PROBE_TIMEOUT = Duration.ofSeconds(60);
  static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(5);
  /** A deadline for one client run; a run on an idle machine takes about a second. */
  static final Duration RUN_TIMEOUT = Duration.ofSeconds(120);
  static final List<String> FILES = List.of("package.json", "package-lock.json", "common.mjs",
      "openai-client.mjs", "anthropic-client.mjs", "openai-forward.mjs");

  private static NodeClients installed;
  private static String unavailable;

  private final Path home;
  private final AtomicInteger runs = new AtomicInteger();

  private NodeClients(Path home) {
    this.home = home;
  }

  /**
   * What one client run printed. {@code result} is the JSON line the script ends with, or null
   * when it printed none.
   */
  public record Run(int exit, String stdout, String stderr, JsonObject result) {

    /** Standard output and error together, for "no trace of X" checks. */
    public String everything() {
      return stdout + "\n" + stderr;
    }

    /** For assertion messages; the caller has checked that no secret is in the output. */
    public String describe() {
      return "exit " + exit + "\nstdout: " + stdout + "\nstderr: " + stderr;
    }
  }

  /** Thrown when the clients cannot be used here; the message says why. */
  private static final class Unavailable extends Exception {
    Unavailable(String message) {
      super(message);
    }
  }

  /**
   * The installed clients. Skips the calling test (an assumption) when they cannot be installed,
   * or fails it when {@value #REQUIRE_ENV}{@code =1}.
   */
  public static synchronized NodeClients require() {
    if (installed == null && unavailable == null) {
      try {
        installed = install(module().resolve("target/node-clients"));
      } catch (Unavailable e) {
        unavailable = e.getMessage();
      }
    }
    if (unavailable != null) {
      String message = "the Node SDK tests cannot run: " + unavailable;
      if ("1".equals(System.getenv(REQUIRE_ENV))) {
        fail(message + " (" + REQUIRE_ENV + "=1 makes this a failure instead of a skip)");
      }
      Assumptions.abort(message + ". Skipped; set " + REQUIRE_ENV + "=1 to make this a failure.");
    }
    return installed;
  }

  private static Path module() {
    return Path.of(System.getProperty("basedir", ".")).toAbsolutePath();
  }

  private static NodeClients install(Path home) throws Unavailable {
    String node = version(home.getParent(), "node");
    version(home.getParent(), "npm");
    try {
      Files.createDirectories(home);
      for (String file : FILES) {
        Files.copy(module().resolve("src/test/node").resolve(file), home.resolve(file),
            StandardCopyOption.REPLACE_EXISTING);
      }
      String stamp = node + " " + sha256(home.resolve("package-lock.json"));
      Path stampFile = home.resolve("node_modules/.keyward-installed");
      if (Files.exists(stampFile) && Files.readString(stampFile).equals(stamp)) {
        return new NodeClients(home);
      }
      Path log = home.resolve("npm-install.log");
      int exit = exec(List.of("npm", "ci", "--no-audit", "--no-fund", "--prefer-offline"), home,
          Map.of(), INSTALL_TIMEOUT, log, log);
      if (exit != 0) {
        throw new Unavailable("`npm ci` in " + home + (exit < 0 ? " took longer than "
            + INSTALL_TIMEOUT.toMinutes() + " min" : " failed (exit " + exit + ")")
            + "; offline, or the npm registry unreachable? " + tail(log));
      }
      Files.writeString(stampFile, stamp);
      return new NodeClients(home);
    } catch (IOException e) {
      throw new Unavailable("cannot prepare " + home + ": " + e.getMessage());
    }
  }

  /** {@code tool --version}; {@link Unavailable} when it is not on the PATH or does not answer. */
  private static String version(Path dir, String tool) throws Unavailable {
    Path out;
    try {
      out = Files.createTempFile(dir, tool, ".version");
    } catch (IOException e) {
      throw new Unavailable("cannot write to " + dir + ": " + e.getMessage());
    }
    try {
      try {
        int exit = exec(List.of(tool, "--version"), dir, Map.of(), PROBE_TIMEOUT, out, out);
        String version = Files.readString(out).strip();
        if (exit != 0) {
          throw new Unavailable("`" + tool + " --version` failed (exit " + exit + "): " + version);
        }
        return version;
      } finally {
        Files.deleteIfExists(out);
      }
    } catch (IOException e) {
      throw new Unavailable("`" + tool + "` is not installed (not on the PATH: " + e.getMessage()
          + ")");
    }
  }

  /**
   * Runs {@code node <script> <scenario>} with {@code env} added to an environment cleared of
   * every {@code OPENAI_*} and {@code ANTHROPIC_*} variable (the SDKs read those).
   */
  public Run run(String script, String scenario, Map<String, String> env) throws Exception {
    Path runs = Files.createDirectories(home.resolve("runs"));
    String name = script.replace(".mjs", "") + "-" + scenario + "-" + this.runs.incrementAndGet();
    Path out = runs.resolve(name + ".out");
    Path err = runs.resolve(name + ".err");
    try {
      int exit = exec(List.of("node", script, scenario), home, env, RUN_TIMEOUT, out, err);
      String stdout = Files.readString(out, StandardCharsets.UTF_8);
      String stderr = Files.readString(err, StandardCharsets.UTF_8);
      return new Run(exit, stdout, stderr, lastJsonLine(stdout));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  private static JsonObject lastJsonLine(String stdout) {
    List<String> lines = stdout.lines().filter(line -> line.startsWith("{")).toList();
    if (lines.isEmpty()) {
      return null;
    }
    try {
      return new JsonObject(lines.get(lines.size() - 1));
    } catch (RuntimeException e) {
      return null;
    }
  }

  /**
   * Runs a command with its output in files; the exit code, or -1 when it ran past the deadline
   * (then it and its children are killed).
   */
  static int exec(List<String> command, Path dir, Map<String, String> env,
      Duration timeout, Path out, Path err) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    if (out.equals(err)) {
      builder.redirectOutput(out.toFile()).redirectErrorStream(true);
    } else {
      builder.redirectOutput(out.toFile()).redirectError(err.toFile());
    }
    builder.environment().keySet().removeIf(name -> name.startsWith("OPENAI_")
        || name.startsWith("ANTHROPIC_"));
    builder.environment().putAll(env);
    Process process = builder.start();
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        return -1;
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + command.get(0), e);
    }
  }

  private static String tail(Path log) throws IOException {
    List<String> lines;
    try (Stream<String> all = Files.lines(log, StandardCharsets.UTF_8)) {
      lines = all.toList();
    }
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
  }

  private static String sha256(Path file) throws IOException {
    try {
      return HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
