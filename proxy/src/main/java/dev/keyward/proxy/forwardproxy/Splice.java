package dev.keyward.proxy.forwardproxy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Two sockets joined into one tunnel, bytes passed both ways untouched with back-pressure and
 * counted, each chunk marking the tunnel's slot active; when either side closes or ends, or the
 * slot's timeouts pass, both are closed and {@code onClose} runs once with the counts.
 */
final class Splice {

  /** What {@link #join} reports when the tunnel is over. */
  interface Closed {
    void closed(long fromAgent, long toAgent);
  }

  private Splice() {}

  static void join(NetSocket agent, NetSocket upstream, TunnelGuard.Slot slot, Closed onClose) {
    AtomicLong fromAgent = new AtomicLong();
    AtomicLong toAgent = new AtomicLong();
    AtomicBoolean over = new AtomicBoolean();
    Runnable close = () -> {
      if (over.compareAndSet(false, true)) {
        agent.close();
        upstream.close();
        slot.release();
        onClose.closed(fromAgent.get(), toAgent.get());
      }
    };
    slot.closeWith(close);
    pass(agent, upstream, fromAgent, slot, close);
    pass(upstream, agent, toAgent, slot, close);
  }

  private static void pass(NetSocket from, NetSocket to, AtomicLong counter,
      TunnelGuard.Slot slot, Runnable close) {
    from.handler((Buffer chunk) -> {
      counter.addAndGet(chunk.length());
      slot.active();
      to.write(chunk);
      if (to.writeQueueFull()) {
        from.pause();
        to.drainHandler(v -> from.resume());
      }
    });
    from.endHandler(v -> close.run());
    from.closeHandler(v -> close.run());
    from.exceptionHandler(e -> close.run());
  }
}
