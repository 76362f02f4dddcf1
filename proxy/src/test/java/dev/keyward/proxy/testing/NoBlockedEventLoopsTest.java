package dev.keyward.proxy.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import dev.keyward.proxy.Keyward;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The blocked-loop check itself: a loop that waits is caught, a loop that computes is not. */
@NoBlockedEventLoops.BlocksOnPurpose
class NoBlockedEventLoopsTest {

  /** Runs {@code task} on an event loop of a Vert.x set up as Keyward's, and returns the report. */
  static Optional<String> reportOf(Runnable task) throws Exception {
    return reportOf(task, new CountDownLatch(0));
  }

  /** As above; {@code unblock} is counted down once the report is in. */
  static Optional<String> reportOf(Runnable task, CountDownLatch unblock) throws Exception {
    long limit = Keyward.MAX_EVENT_LOOP_BLOCK.toMillis();
    Vertx vertx = Vertx.vertx(new VertxOptions().setMaxEventLoopExecuteTime(limit)
        .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
        .setWarningExceptionTime(limit).setWarningExceptionTimeUnit(TimeUnit.MILLISECONDS)
        .setBlockedThreadCheckInterval(limit / 2));
    NoBlockedEventLoops.Reports appender = new NoBlockedEventLoops.Reports();
    appender.start();
    Logger checker = (Logger) LoggerFactory.getLogger("io.vertx.core.impl.BlockedThreadChecker");
    checker.addAppender(appender);
    try {
      vertx.runOnContext(v -> task.run());
      Awaitility.await("the checker's report").atMost(Duration.ofSeconds(30))
          .until(() -> !appender.list.isEmpty());
      unblock.countDown();
      return NoBlockedEventLoops.waiting(appender.states.get(0),
          appender.list.get(0).getThrowableProxy());
    } finally {
      unblock.countDown();
      checker.detachAppender(appender);
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aLoopWaitingInASleepIsCaught() throws Exception {
    Optional<String> waiting = reportOf(() -> {
      try {
        Thread.sleep(2_000); // the blocking call under test
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    assertTrue(waiting.isPresent());
    assertTrue(waiting.get().contains("java.lang.Thread.sleep"), waiting.get());
  }

  @Test
  void aLoopWaitingForAContendedMonitorIsCaught() throws Exception {
    Object monitor = new Object();
    CountDownLatch held = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Thread holder = new Thread(() -> {
      synchronized (monitor) {
        held.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    });
    holder.start();
    held.await();
    try {
      Optional<String> waiting = reportOf(() -> {
        synchronized (monitor) { // the blocking call under test: the holder never lets go first
          monitor.notifyAll();
        }
      }, release);
      assertTrue(waiting.isPresent());
      assertTrue(waiting.get().contains("BLOCKED"), waiting.get());
    } finally {
      release.countDown();
      holder.join();
    }
  }

  @Test
  void aLoopBusyComputingIsNotCaught() throws Exception {
    Optional<String> waiting = reportOf(() -> {
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
      long sum = 0;
      while (System.nanoTime() < until) {
        sum += sum * 31 + 7;
      }
      if (sum == 42) {
        System.out.println(sum);
      }
    });
    assertFalse(waiting.isPresent(), waiting::toString);
  }
}
