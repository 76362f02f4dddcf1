package dev.keyward.proxy.testing;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/**
 * Samples the live heap (used right after a full GC) while something runs, to show that a large
 * transfer streams rather than buffers. Garbage does not count; what is still referenced does.
 */
public final class HeapWatch implements AutoCloseable {

  private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

  private final long baseline;
  private volatile long peak;
  private volatile boolean running = true;
  private final Thread sampler;

  public HeapWatch() {
    baseline = live();
    peak = baseline;
    sampler = new Thread(() -> {
      while (running) {
        peak = Math.max(peak, live());
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "heap-watch");
    sampler.setDaemon(true);
    sampler.start();
  }

  private static long live() {
    System.gc();
    return MEMORY.getHeapMemoryUsage().getUsed();
  }

  /** Largest live heap seen above the starting point, in bytes. */
  public long growth() {
    return peak - baseline;
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    sampler.join();
    peak = Math.max(peak, live());
  }
}
