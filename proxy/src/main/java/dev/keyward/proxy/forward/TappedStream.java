package dev.keyward.proxy.forward;

import dev.keyward.proxy.call.BodyTap;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.util.List;

/**
 * A {@link ReadStream} that passes each chunk of another through a list of {@link BodyTap}s in
 * order, keeping its flow control (pause, resume and fetch go to the source). A tap that throws
 * fails the stream, which then drops whatever else arrives.
 */
final class TappedStream implements ReadStream<Buffer> {

  private final ReadStream<Buffer> source;
  private final List<BodyTap> taps;
  private final Runnable onChunk;
  private Handler<Buffer> handler;
  private Handler<Throwable> exceptionHandler;
  private boolean failed;

  /**
   * @param onChunk runs for each chunk as it arrives from the source (the idle watch)
   */
  TappedStream(ReadStream<Buffer> source, List<BodyTap> taps, Runnable onChunk) {
    this.source = source;
    this.taps = List.copyOf(taps);
    this.onChunk = onChunk;
  }

  @Override
  public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
    this.exceptionHandler = handler;
    source.exceptionHandler(handler);
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
        out = chunk;
        for (int i = 0; i < taps.size() && out.length() > 0; i++) {
          out = taps.get(i).chunk(out);
        }
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

  @Override
  public ReadStream<Buffer> endHandler(Handler<Void> endHandler) {
    source.endHandler(endHandler == null ? null : v -> {
      if (failed) {
        return;
      }
      Buffer tail = Buffer.buffer();
      try {
        // Each tap's held-back bytes still pass through the taps after it.
        for (int i = 0; i < taps.size(); i++) {
          Buffer out = tail.length() > 0 ? taps.get(i).chunk(tail) : tail;
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
