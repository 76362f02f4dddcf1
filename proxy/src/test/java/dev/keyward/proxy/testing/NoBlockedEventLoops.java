package dev.keyward.proxy.testing;

import static org.junit.jupiter.api.Assertions.fail;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.read.ListAppender;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Fails a test during which an event loop was blocked: Vert.x reports a loop busy for more than
 * 200 ms with the loop's stack at that moment. A loop found waiting (I/O, a lock, a sleep, a
 * future) in our code runs blocking code and fails the test. A loop found computing, loading
 * classes, or back in its own idle select was slowed by a busy machine, not blocked: that is
 * printed and does not fail, so the suite holds on a loaded machine while a blocking call on an
 * event loop is still caught. Registered for every test
 * through {@code META-INF/services} and JUnit's extension auto-detection.
 */
public final class NoBlockedEventLoops implements BeforeEachCallback, AfterEachCallback {

  /** On a test class that blocks event loops on purpose (the tests of this check). */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.TYPE)
  public @interface BlocksOnPurpose {}

  private static final String CHECKER = "io.vertx.core.impl.BlockedThreadChecker";
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(NoBlockedEventLoops.class);

  /** Top frames that mean the thread is waiting: asleep, parked, polling, resolving a name. */
  private static final List<String> WAITING = List.of("java.lang.Thread.sleep",
      "java.lang.Object.wait", "jdk.internal.misc.Unsafe.park", "sun.nio.ch.Net.poll",
      "sun.nio.ch.NioSocketImpl.park", "java.net.Inet4AddressImpl.lookupAllHostAddr",
      "java.net.Inet6AddressImpl.lookupAllHostAddr");
  /**
   * Frames near the top that mean file I/O, which blocks. (Socket reads and writes on an event
   * loop are Netty's non-blocking work, not waiting.)
   */
  private static final List<String> FILE_IO = List.of("sun.nio.ch.FileChannelImpl.",
      "java.io.FileInputStream.", "java.io.FileOutputStream.", "java.io.RandomAccessFile.",
      "java.io.UnixFileSystem.", "sun.nio.fs.UnixNativeDispatcher.");
  private static final int FILE_IO_DEPTH = 6;

  /**
   * Frames that mean the loop is not blocked by our code: the JVM loading code (slow on a busy
   * machine), or the loop already back in its own select, idle (the stack is taken a moment after
   * the busy spell was seen).
   */
  private static final List<String> NOT_OURS = List.of("java.lang.ClassLoader.loadClass",
      "jdk.internal.loader.", "java.lang.invoke.MethodHandleNatives.linkCallSite",
      "sun.nio.ch.SelectorImpl.select", "io.netty.channel.nio.NioIoHandler.select",
      "io.netty.channel.epoll.EpollIoHandler.epollWait");

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
    if (context.getRequiredTestClass().isAnnotationPresent(BlocksOnPurpose.class)) {
      return;
    }
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
      if (NOT_OURS.stream().anyMatch(frame.getSTEAsString()::contains)) {
        return Optional.empty();
      }
    }
    if (frames.length > 0 && WAITING.stream().anyMatch(name(frames[0])::startsWith)) {
      return Optional.of(name(frames[0]));
    }
    for (int i = 0; i < Math.min(frames.length, FILE_IO_DEPTH); i++) {
      String frame = name(frames[i]);
      if (FILE_IO.stream().anyMatch(frame::startsWith)) {
        return Optional.of(frame);
      }
    }
    return Optional.empty();
  }

  private static String name(StackTraceElementProxy frame) {
    return frame.getStackTraceElement().getClassName() + "."
        + frame.getStackTraceElement().getMethodName();
  }
}
