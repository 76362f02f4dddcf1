package dev.keyward.proxy.forward;

import dev.keyward.proxy.http.Deadlines;
import dev.keyward.proxy.http.Deadlines.Deadline;
import java.time.Duration;

/**
 * Fires when a stream has been quiet for the idle timeout. Each chunk only records the time; one
 * deadline checks and is set again for the remainder, so a busy stream costs no timer churn.
 * (Vert.x's own request idle timeout stops once the response head arrives; this covers the
 * response body.) Confined to the stream's event loop.
 */
final class IdleWatch {

  private final long idleNanos;
  private final Runnable onIdle;
  private final Deadline deadline;
  private long lastActivity = System.nanoTime();
  private boolean stopped;

  IdleWatch(Deadlines deadlines, Duration idle, Runnable onIdle) {
    this.idleNanos = idle.toNanos();
    this.onIdle = onIdle;
    this.deadline = deadlines.after(idle, this::check);
  }

  void touch() {
    lastActivity = System.nanoTime();
  }

  void stop() {
    stopped = true;
    deadline.cancel();
  }

  private void check() {
    if (stopped) {
      return;
    }
    long quiet = System.nanoTime() - lastActivity;
    if (quiet >= idleNanos) {
      stopped = true;
      onIdle.run();
    } else {
      deadline.restart(idleNanos - quiet);
    }
  }
}
