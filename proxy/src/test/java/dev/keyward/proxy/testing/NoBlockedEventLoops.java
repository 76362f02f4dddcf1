package dev.keyward.proxy.testing;

import static org.junit.jupiter.api.Assertions.fail;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Fails a test during which an event loop was blocked: Vert.x reports a loop busy for more than
 * 200 ms with the loop's stack at that moment. A loop found waiting (I/O, a lock, a sleep, a
 * future) runs blocking code and fails the test. A loop found computing was slowed by a busy
 * machine, not blocked: that is printed and does not fail, so the suite holds on a loaded
 * machine while a blocking call on an event loop is still caught. Registered for every test
 * through {@code META-INF/services} and JUnit's extension auto-detection.
 */
public final class NoBlockedEventLoops implements BeforeEachCallback, AfterEachCallback {

  private static final String CHECKER = "io.vertx.core.impl.BlockedThreadChecker";
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(NoBlockedEventLoops.class);

  /** Frames that mean the thread is waiting rather than running. */
  private static final List<String> WAITING = List.of("java.lang.Thread.sleep",
      "java.lang.Object.wait", "jdk.internal.misc.Unsafe.park", "sun.nio.ch.", "java.net.",
      "java.io.FileInputStream.read", "java.io.FileOutputStream.write",
      "java.io.RandomAccessFile.", "java.io.UnixFileSystem.", "sun.nio.fs.",
      "java.nio.channels.FileChannel",
      "java.util.concurrent.CompletableFuture.get", "java.util.concurrent.FutureTask.get",
      "java.net.http.");
  /** Frames that mean the wait is the JVM loading code: slow on a busy machine, never ours. */
  private static final List<String> LOADING_CODE = List.of("java.lang.ClassLoader.loadClass",
      "jdk.internal.loader.", "java.lang.invoke.MethodHandleNatives.linkCallSite");

  @Override
  public void beforeEach(ExtensionContext context) {
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    ((Logger) LoggerFactory.getLogger(CHECKER)).addAppender(appender);
    context.getStore(NAMESPACE).put("appender", appender);
  }

  @Override
  @SuppressWarnings("unchecked")
  public void afterEach(ExtensionContext context) {
    ListAppender<ILoggingEvent> appender =
        context.getStore(NAMESPACE).remove("appender", ListAppender.class);
    ((Logger) LoggerFactory.getLogger(CHECKER)).detachAppender(appender);
    for (ILoggingEvent event : appender.list) {
      Optional<String> waitingAt = waitingFrame(event.getThrowableProxy());
      if (waitingAt.isPresent()) {
        fail("an event loop was blocked: " + event.getFormattedMessage() + ", waiting in "
            + waitingAt.get());
      }
      System.err.println("note: " + event.getFormattedMessage() + " while computing (a busy"
          + " machine), in " + context.getDisplayName());
    }
  }

  /** The frame the blocked loop was waiting in, if it was waiting; a loop with no stack fails. */
  static Optional<String> waitingFrame(IThrowableProxy stack) {
    if (stack == null) {
      return Optional.of("(no stack reported)");
    }
    StackTraceElementProxy[] frames = stack.getStackTraceElementProxyArray();
    for (StackTraceElementProxy frame : frames) {
      if (LOADING_CODE.stream().anyMatch(frame.getSTEAsString()::contains)) {
        return Optional.empty();
      }
    }
    if (frames.length > 0) {
      String top = frames[0].getStackTraceElement().getClassName() + "."
          + frames[0].getStackTraceElement().getMethodName();
      if (WAITING.stream().anyMatch(top::startsWith)) {
        return Optional.of(top);
      }
    }
    return Optional.empty();
  }
}
