package dev.keyward.proxy.testing;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** An executor that runs nothing until the test says so: work held to show who waits for it. */
public final class HeldExecutor implements Executor {

  private static final Duration WAIT = Duration.ofSeconds(10);

  public final AtomicInteger submitted = new AtomicInteger();
  private final BlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();

  @Override
  public void execute(Runnable task) {
    submitted.incrementAndGet();
    tasks.add(task);
  }

  /** Runs the oldest task held, waiting for one to be submitted. */
  public void runOne() throws InterruptedException {
    Runnable task = tasks.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertNotNull(task, "no task was submitted");
    task.run();
  }
}
