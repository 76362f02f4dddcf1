package dev.keyward.proxy.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.keyward.proxy.Keyward;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The blocked-loop check itself: a loop that waits is caught, a loop that computes is not. */
@NoBlockedEventLoops.BlocksOnPurpose
class NoBlockedEventLoopsTest {

  /** Runs {@code task} on an event loop of a Vert.x set up as Keyward's, and returns the report. */
  static Optional<String> reportOf(Runnable task) throws Exception {
    long limit = Keyward.MAX_EVENT_LOOP_BLOCK.toMillis();
    Vertx vertx = Vertx.vertx(new VertxOptions().setMaxEventLoopExecuteTime(limit)
        .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
        .setWarningExceptionTime(limit).setWarningExceptionTimeUnit(TimeUnit.MILLISECONDS)
        .setBlockedThreadCheckInterval(limit / 2));
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    Logger checker = (Logger) LoggerFactory.getLogger("io.vertx.core.impl.BlockedThreadChecker");
    checker.addAppender(appender);
    try {
      vertx.runOnContext(v -> task.run());
      Awaitility.await("the checker's report").atMost(Duration.ofSeconds(30))
          .until(() -> !appender.list.isEmpty());
      return NoBlockedEventLoops.waitingFrame(appender.list.get(0).getThrowableProxy());
    } finally {
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
    assertTrue(waiting.get().startsWith("java.lang.Thread.sleep"), waiting.get());
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
