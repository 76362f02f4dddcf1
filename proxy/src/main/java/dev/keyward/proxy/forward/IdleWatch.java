package dev.keyward.proxy.forward;

import io.vertx.core.Vertx;
import java.time.Duration;

/**
 * Fires when a stream has been quiet for the idle timeout. Each chunk only records the time; one
 * timer checks and re-arms for the remainder, so a busy stream costs no timer churn. (Vert.x's own
 * request idle timeout stops once the response head arrives; this covers the response body.)
 */
final class IdleWatch {

  private final Vertx vertx;
  private final long idleNanos;
  private final Runnable onIdle;
  private volatile long lastActivity = System.nanoTime();
  private long timer;
  private boolean stopped;

  IdleWatch(Vertx vertx, Duration idle, Runnable onIdle) {
    this.vertx = vertx;
    this.idleNanos = idle.toNanos();
    this.onIdle = onIdle;
    arm(idleNanos);
  }

  void touch() {
    lastActivity = System.nanoTime();
  }

  synchronized void stop() {
    stopped = true;
    vertx.cancelTimer(timer);
  }

  private synchronized void arm(long delayNanos) {
    if (!stopped) {
      timer = vertx.setTimer(Math.max(1, delayNanos / 1_000_000), id -> check());
    }
  }

  private void check() {
    long quiet = System.nanoTime() - lastActivity;
    if (quiet >= idleNanos) {
      synchronized (this) {
        if (stopped) {
          return;
        }
        stopped = true;
      }
      onIdle.run();
    } else {
      arm(idleNanos - quiet);
    }
  }
}
