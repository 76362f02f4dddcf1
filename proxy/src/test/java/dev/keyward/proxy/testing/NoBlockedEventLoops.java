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
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

  /** Thread states that mean waiting whatever the stack shows (a monitor, a park, a sleep). */
  private static final Set<Thread.State> WAITING_STATES =
      EnumSet.of(Thread.State.BLOCKED, Thread.State.WAITING, Thread.State.TIMED_WAITING);
  private static final Pattern BLOCKED_THREAD = Pattern.compile("^Thread (\\S+) has been blocked");
  /** How deep in the stack a frame may be to excuse the loop as loading code. */
  private static final int LOADING_DEPTH = 16;

  /** Keeps each report with the state the blocked thread was in as it was reported. */
  static final class Reports extends ListAppender<ILoggingEvent> {

    final List<Thread.State> states = new ArrayList<>();

    @Override
    protected void append(ILoggingEvent event) {
      Matcher m = BLOCKED_THREAD.matcher(event.getFormattedMessage());
      Thread.State state = null;
      if (m.find()) {
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
          if (thread.getName().equals(m.group(1))) {
            state = thread.getState();
          }
        }
      }
      synchronized (this) {
        states.add(state);
        super.append(event);
      }
    }
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    Reports appender = new Reports();
    appender.start();
    ((Logger) LoggerFactory.getLogger(CHECKER)).addAppender(appender);
    context.getStore(NAMESPACE).put("appender", appender);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    Reports appender = context.getStore(NAMESPACE).remove("appender", Reports.class);
    ((Logger) LoggerFactory.getLogger(CHECKER)).detachAppender(appender);
    if (context.getRequiredTestClass().isAnnotationPresent(BlocksOnPurpose.class)) {
      return;
    }
    for (int i = 0; i < appender.list.size(); i++) {
      ILoggingEvent event = appender.list.get(i);
      Optional<String> waitingAt = waiting(appender.states.get(i), event.getThrowableProxy());
      if (waitingAt.isPresent()) {
        fail("an event loop was blocked: " + event.getFormattedMessage() + ", waiting in "
            + waitingAt.get());
      }
      System.err.println("note: " + event.getFormattedMessage() + " while computing (a busy"
          + " machine), in " + context.getDisplayName());
    }
  }

  /**
   * Where the blocked loop was waiting, if it was: in a waiting thread state (a contended monitor
   * shows no waiting frame), or in a waiting frame; empty when it was computing, loading code or
   * back in its own select. A loop with no stack fails.
   */
  static Optional<String> waiting(Thread.State state, IThrowableProxy stack) {
    if (stack == null) {
      return Optional.of("(no stack reported)");
    }
    StackTraceElementProxy[] frames = stack.getStackTraceElementProxyArray();
    for (int i = 0; i < Math.min(frames.length, LOADING_DEPTH); i++) {
      if (NOT_OURS.stream().anyMatch(frames[i].getSTEAsString()::contains)) {
        return Optional.empty();
      }
    }
    if (state != null && WAITING_STATES.contains(state)) {
      return Optional.of("thread state " + state + (frames.length > 0 ? " at " + name(frames[0])
          : ""));
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
