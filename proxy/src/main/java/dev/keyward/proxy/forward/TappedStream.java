package dev.keyward.proxy.forward;

import dev.keyward.proxy.call.BodyTap;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.util.List;
import java.util.function.Consumer;

/**
 * A {@link ReadStream} that passes each chunk of another through a list of {@link BodyTap}s in
 * order, keeping its flow control (pause, resume and fetch go to the source). A tap that throws
 * fails the stream, which then drops whatever else arrives; a tap that throws {@link BodyTap.Stop}
 * ends it early but whole.
 */
final class TappedStream implements ReadStream<Buffer> {

  private final ReadStream<Buffer> source;
  private final List<BodyTap> taps;
  private final Runnable onChunk;
  private final Consumer<BodyTap.Stop> onStop;
  private Handler<Buffer> handler;
  private Handler<Void> endHandler;
  private Handler<Throwable> exceptionHandler;
  /** Failed or stopped: whatever else the source sends is dropped. */
  private boolean failed;

  /**
   * @param onChunk runs for each chunk as it arrives from the source (the idle watch)
   * @param onStop runs when a tap stopped the body, after its last bytes went out and before the
   *     body ends: let go of the source there
   */
  TappedStream(ReadStream<Buffer> source, List<BodyTap> taps, Runnable onChunk,
      Consumer<BodyTap.Stop> onStop) {
    this.source = source;
    this.taps = List.copyOf(taps);
    this.onChunk = onChunk;
    this.onStop = onStop;
  }

  @Override
  public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
    this.exceptionHandler = handler;
    source.exceptionHandler(handler == null ? null : e -> {
      if (!failed) {
        handler.handle(e);
      }
    });
    return this;
  }

  @Override
  public ReadStream<Buffer> handler(Handler<Buffer> handler) {
    this.handler = handler;
    source.handler(handler == null ? null : chunk -> {
      if (failed) {
        return;
      }
      onChunk.run();
      Buffer out;
      try {
        out = through(chunk, 0);
      } catch (StopAt stop) {
        stop(stop);
        return;
      } catch (Exception e) {
        fail(e);
        return;
      }
      if (out.length() > 0) {
        handler.handle(out);
      }
    });
    return this;
  }

  /** {@code chunk} through the taps from {@code from} on. */
  private Buffer through(Buffer chunk, int from) throws Exception {
    Buffer out = chunk;
    for (int i = from; i < taps.size() && out.length() > 0; i++) {
      try {
        out = taps.get(i).chunk(out);
      } catch (BodyTap.Stop stop) {
        throw new StopAt(stop, i);
      }
    }
    return out;
  }

  /** A tap's {@link BodyTap.Stop}, and which tap threw it. */
  private static final class StopAt extends Exception {
    final BodyTap.Stop stop;
    final int tap;

    StopAt(BodyTap.Stop stop, int tap) {
      super(null, null, false, false);
      this.stop = stop;
      this.tap = tap;
    }
  }

  /** Sends the stopping tap's last bytes through the taps after it, then ends the body. */
  private void stop(StopAt at) {
    failed = true;
    Buffer last;
    try {
      last = through(at.stop.last(), at.tap + 1);
    } catch (Exception e) {
      failed = false;
      fail(e);
      return;
    }
    if (last.length() > 0 && handler != null) {
      handler.handle(last);
    }
    onStop.accept(at.stop);
    if (endHandler != null) {
      endHandler.handle(null);
    }
  }

  @Override
  public ReadStream<Buffer> endHandler(Handler<Void> endHandler) {
    this.endHandler = endHandler;
    source.endHandler(endHandler == null ? null : v -> {
      if (failed) {
        return;
      }
      Buffer tail = Buffer.buffer();
      try {
        // Each tap's held-back bytes still pass through the taps after it.
        for (int i = 0; i < taps.size(); i++) {
          Buffer out;
          try {
            out = tail.length() > 0 ? taps.get(i).chunk(tail) : tail;
          } catch (BodyTap.Stop stop) {
            stop(new StopAt(stop, i));
            return;
          }
          tail = Buffer.buffer().appendBuffer(out).appendBuffer(taps.get(i).end());
        }
      } catch (Exception e) {
        fail(e);
        return;
      }
      if (tail.length() > 0 && handler != null) {
        handler.handle(tail);
      }
      endHandler.handle(null);
    });
    return this;
  }

  private void fail(Exception e) {
    failed = true;
    if (exceptionHandler != null) {
      exceptionHandler.handle(e);
    }
  }

  @Override
  public ReadStream<Buffer> pause() {
    source.pause();
    return this;
  }

  @Override
  public ReadStream<Buffer> resume() {
    source.resume();
    return this;
  }

  @Override
  public ReadStream<Buffer> fetch(long amount) {
    source.fetch(amount);
    return this;
  }
}
