package dev.keyward.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.http.Deadlines.Deadline;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The event loops' timer wheels: never early, cancelled means never, on the setter's context. */
class DeadlinesTest {

  final Vertx vertx = Vertx.vertx();
  final Deadlines deadlines = new Deadlines(vertx);

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** Runs {@code action} on a new event-loop context and waits for what it completes. */
  <T> T onLoop(java.util.function.Consumer<CompletableFuture<T>> action) throws Exception {
    CompletableFuture<T> result = new CompletableFuture<>();
    vertx.getOrCreateContext().runOnContext(v -> action.accept(result));
    return result.get(30, TimeUnit.SECONDS);
  }

  @Test
  void aDeadlineFiresOnTheContextThatSetItAndNeverBeforeItIsDue() throws Exception {
    AtomicReference<Context> setBy = new AtomicReference<>();
    long[] elapsed = onLoop(done -> {
      setBy.set(Vertx.currentContext());
      long start = System.nanoTime();
      deadlines.after(Duration.ofMillis(120), () -> {
        assertSame(setBy.get(), Vertx.currentContext());
        done.complete(new long[] {System.nanoTime() - start});
      });
    });
    assertTrue(elapsed[0] >= TimeUnit.MILLISECONDS.toNanos(120), elapsed[0] + " ns");
  }

  @Test
  void aCancelledDeadlineNeverFiresAndTheOthersStillDo() throws Exception {
    AtomicBoolean cancelledFired = new AtomicBoolean();
    List<String> fired = new CopyOnWriteArrayList<>();
    onLoop(done -> {
      Deadline cancelled = deadlines.after(Duration.ofMillis(30), () -> cancelledFired.set(true));
      deadlines.after(Duration.ofMillis(30), () -> fired.add("same slot"));
      deadlines.after(Duration.ofMillis(150), () -> done.complete(null));
      cancelled.cancel();
    });
    assertFalse(cancelledFired.get());
    assertEquals(List.of("same slot"), fired);
  }

  @Test
  void aRestartedDeadlineFiresOnceAtItsNewTime() throws Exception {
    List<Long> fired = new CopyOnWriteArrayList<>();
    onLoop(done -> {
      long start = System.nanoTime();
      Deadline deadline = deadlines.after(Duration.ofMillis(20), () -> fired.add(
          System.nanoTime() - start));
      deadline.restart(TimeUnit.MILLISECONDS.toNanos(100));
      deadlines.after(Duration.ofMillis(250), () -> done.complete(null));
    });
    assertEquals(1, fired.size());
    assertTrue(fired.get(0) >= TimeUnit.MILLISECONDS.toNanos(100), fired.get(0) + " ns");
  }

  @Test
  void aDeadlineFurtherOutThanATurnOfTheWheelWaitsForItsTurn() throws Exception {
    // 1024 slots of 10 ms: 11 s is more than a turn.
    long[] elapsed = onLoop(done -> {
      long start = System.nanoTime();
      deadlines.after(Duration.ofMillis(10_500), () -> done.complete(
          new long[] {System.nanoTime() - start}));
    });
    assertTrue(elapsed[0] >= TimeUnit.MILLISECONDS.toNanos(10_500), elapsed[0] + " ns");
  }

  @Test
  void offAnEventLoopADeadlineIsAVertxTimer() throws Exception {
    CompletableFuture<Boolean> fired = new CompletableFuture<>();
    long start = System.nanoTime();
    deadlines.after(Duration.ofMillis(50), () -> fired.complete(true));
    assertTrue(fired.get(10, TimeUnit.SECONDS));
    assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(50));
  }

  @Test
  void aDeadlineSetAfterALaterOneStillFiresFirst() throws Exception {
    // The wheel is checked when its earliest deadline is due: a nearer one moves the check up.
    List<String> fired = new CopyOnWriteArrayList<>();
    onLoop(done -> {
      deadlines.after(Duration.ofMillis(1_000), () -> {
        fired.add("later");
        done.complete(null);
      });
      deadlines.after(Duration.ofMillis(50), () -> fired.add("nearer"));
    });
    assertEquals(List.of("nearer", "later"), fired);
  }

  @Test
  void aWheelWithNoDeadlineLeftStopsChecking() throws Exception {
    boolean[] checking = onLoop(done -> {
      Deadline cancelled = deadlines.after(Duration.ofMillis(40), () -> {});
      cancelled.cancel();
      deadlines.after(Duration.ofMillis(20), () -> Vertx.currentContext().runOnContext(v ->
          done.complete(new boolean[] {Deadlines.checkingOnThisLoop()})));
    });
    assertFalse(checking[0], "the wheel still checks with no deadline in it");
  }

  @Test
  void aDeadlineCancelledByTheActionOfAnotherDueWithItNeverFires() throws Exception {
    AtomicBoolean cancelledFired = new AtomicBoolean();
    onLoop(done -> {
      long start = System.nanoTime();
      Deadline[] later = new Deadline[1];
      deadlines.after(Duration.ofMillis(20), () -> later[0].cancel());
      later[0] = deadlines.after(Duration.ofMillis(40), () -> cancelledFired.set(true));
      deadlines.after(Duration.ofMillis(200), () -> done.complete(null));
      // Hold the loop until both are overdue: one check then finds them due together, the
      // earlier first.
      while (System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(60)) {
        Thread.onSpinWait();
      }
    });
    assertFalse(cancelledFired.get());
  }
}
