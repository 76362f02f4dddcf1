package dev.keyward.proxy.forward;

import dev.keyward.proxy.error.ProxyException;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.util.Optional;

/**
 * A {@link ReadStream} that passes each chunk of another through a {@link Mapper}, keeping its flow
 * control (pause, resume, fetch go to the source). A mapper may refuse a chunk by throwing; the
 * stream then fails and drops whatever else arrives.
 */
final class MappedStream implements ReadStream<Buffer> {

  /** What to do with each chunk, and what to add at the end. */
  interface Mapper {
    Buffer chunk(Buffer in) throws Exception;

    Buffer end() throws Exception;
  }

  private final ReadStream<Buffer> source;
  private final Mapper mapper;
  private Handler<Buffer> handler;
  private Handler<Throwable> exceptionHandler;
  private boolean failed;

  MappedStream(ReadStream<Buffer> source, Mapper mapper) {
    this.source = source;
    this.mapper = mapper;
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
      Buffer out;
      try {
        out = mapper.chunk(chunk);
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
      Buffer tail;
      try {
        tail = mapper.end();
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

  /**
   * A response body on its way to the agent: decoded (when it has a content coding), then
   * redacted. {@code onChunk} sees each chunk as it arrives.
   */
  static ReadStream<Buffer> toAgent(ReadStream<Buffer> source, Optional<ContentDecoding> decoding,
      Redactor redactor, Runnable onChunk) {
    Redactor.Stream state = redactor.newStream();
    return new MappedStream(source, new Mapper() {
      @Override
      public Buffer chunk(Buffer in) throws ProxyException {
        onChunk.run();
        return state.push(decoding.isPresent() ? decoding.get().push(in) : in);
      }

      @Override
      public Buffer end() throws ProxyException {
        if (decoding.isEmpty()) {
          return state.finish();
        }
        Buffer rest = state.push(decoding.get().finish());
        return rest.appendBuffer(state.finish());
      }
    });
  }

  /** A stream of {@code source} that fails with {@code tooLarge} past {@code maxBytes}. */
  static ReadStream<Buffer> limited(ReadStream<Buffer> source, long maxBytes, Exception tooLarge) {
    return new MappedStream(source, new Mapper() {
      private long seen;

      @Override
      public Buffer chunk(Buffer in) throws Exception {
        seen += in.length();
        if (seen > maxBytes) {
          throw tooLarge;
        }
        return in;
      }

      @Override
      public Buffer end() {
        return Buffer.buffer();
      }
    });
  }
}
