package dev.keyward.proxy.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;

/**
 * The terminal a command talks to, and the signal that stops a long-running one. Tests pass their
 * own streams and count {@link #stop} down instead of sending SIGTERM.
 */
public record Io(InputStream in, PrintStream out, PrintStream err, CountDownLatch stop) {

  public static Io system() {
    return new Io(System.in, System.out, System.err, new CountDownLatch(1));
  }
}
