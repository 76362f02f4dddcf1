package dev.keyward.proxy.testing;

import dev.keyward.proxy.cli.Io;
import dev.keyward.proxy.cli.Main;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;

/** Runs one {@code keyward} command line in this JVM, as an operator's shell would. */
public final class Cli {

  /** What the command printed, and its exit code. */
  public record Result(int exit, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exit + "\nstdout: " + out + "\nstderr: " + err;
    }
  }

  private Cli() {}

  public static Result run(String... args) {
    return withStdin("", args);
  }

  /** Runs with {@code stdin}, which the leak scan treats as a secret (only secrets come that way). */
  public static Result withStdin(String stdin, String... args) {
    Secrets.register(stdin);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = Main.run(new Io(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), new CountDownLatch(1)), args);
    return new Result(exit, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }
}
