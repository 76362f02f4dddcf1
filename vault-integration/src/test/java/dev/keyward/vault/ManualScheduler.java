package dev.keyward.vault;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A scheduler whose tasks run only when the test moves time forward, on the test's thread: timed
 * behaviour (renewals, retries) without sleeping and without races.
 */
public final class ManualScheduler implements VaultSession.Scheduler {

  private record Task(Instant due, long order, Runnable run, AtomicBoolean cancelled) {}

  private final TestClock clock;
  private final List<Task> tasks = new ArrayList<>();
  private long scheduled;

  public ManualScheduler(TestClock clock) {
    this.clock = clock;
  }

  @Override
  public synchronized Runnable schedule(Runnable task, Duration delay) {
    AtomicBoolean cancelled = new AtomicBoolean();
    tasks.add(new Task(clock.instant().plus(delay), scheduled++, task, cancelled));
    return () -> cancelled.set(true);
  }

  /** Moves the clock forward by {@code by}, running each task that falls due on the way. */
  public void advance(Duration by) {
    Instant target = clock.instant().plus(by);
    while (true) {
      Optional<Task> next;
      synchronized (this) {
        tasks.removeIf(t -> t.cancelled().get());
        next = tasks.stream().filter(t -> !t.due().isAfter(target))
            .min(Comparator.comparing(Task::due).thenComparingLong(Task::order));
        next.ifPresent(tasks::remove);
      }
      if (next.isEmpty()) {
        break;
      }
      if (next.get().due().isAfter(clock.instant())) {
        clock.advance(Duration.between(clock.instant(), next.get().due()));
      }
      next.get().run().run();
    }
    if (target.isAfter(clock.instant())) {
      clock.advance(Duration.between(clock.instant(), target));
    }
  }

  /** Tasks waiting to run. */
  public synchronized long pending() {
    return tasks.stream().filter(t -> !t.cancelled().get()).count();
  }
}
