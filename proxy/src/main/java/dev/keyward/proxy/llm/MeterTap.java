package dev.keyward.proxy.llm;

import dev.keyward.llm.Api;
import dev.keyward.llm.StreamError;
import dev.keyward.llm.UsageMeter;
import dev.keyward.proxy.call.BodyTap;
import dev.keyward.proxy.error.ProxyError;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

/**
 * The response tap of a metered call: each chunk goes through the {@link UsageMeter}, read where
 * it is (the buffer's own array), and what the meter sends on is the chunk itself or a slice of
 * it (and, after an event split across chunks, the part held from before), not a copy. With an
 * output cap, a stream whose output passed it is stopped between two events with an error event.
 */
public final class MeterTap implements BodyTap {

  private final UsageMeter meter;
  private final Api api;
  /** The error to stop with once the output passed the cap, or null without a cap. */
  private final ProxyError ifCapPassed;

  public MeterTap(UsageMeter meter, Api api, ProxyError ifCapPassed) {
    this.meter = meter;
    this.api = api;
    this.ifCapPassed = ifCapPassed;
  }

  @Override
  public Buffer chunk(Buffer chunk) throws Stop {
    ByteBuf bytes = ((BufferInternal) chunk).getByteBuf();
    Buffer out;
    if (bytes.hasArray()) {
      int offset = bytes.arrayOffset() + bytes.readerIndex();
      out = toSend(chunk, bytes, offset, meter.feed(bytes.array(), offset, bytes.readableBytes()));
    } else {
      byte[] copy = chunk.getBytes();
      UsageMeter.ToSend sent = meter.feed(copy, 0, copy.length);
      out = toSend(chunk, Unpooled.wrappedBuffer(copy), 0, sent);
    }
    if (ifCapPassed != null && meter.outputCapPassed()) {
      // Stopped between two events, with an error the agent's SDK raises: never a truncated
      // answer that reads as complete.
      throw new Stop(Buffer.buffer().appendBuffer(out).appendBytes(StreamError.event(api,
          ifCapPassed.code(), ifCapPassed.status(), ifCapPassed.message())), ifCapPassed);
    }
    return out;
  }

  /**
   * The chunk itself when all of it is sent on, else its slices after the head (the part held of
   * an event split across chunks), joined without a copy.
   */
  private static Buffer toSend(Buffer chunk, ByteBuf bytes, int offset, UsageMeter.ToSend sent) {
    byte[] head = sent.head();
    if (head.length == 0 && sent.ranges() == 1) {
      int from = sent.from(0) - offset;
      int length = sent.to(0) - sent.from(0);
      return from == 0 && length == chunk.length() ? chunk : chunk.slice(from, from + length);
    }
    if (sent.ranges() == 0) {
      return Buffer.buffer(head);
    }
    CompositeByteBuf joined = Unpooled.compositeBuffer(sent.ranges() + 1);
    if (head.length > 0) {
      joined.addComponent(true, Unpooled.wrappedBuffer(head));
    }
    for (int i = 0; i < sent.ranges(); i++) {
      joined.addComponent(true, bytes.slice(bytes.readerIndex() + sent.from(i) - offset,
          sent.to(i) - sent.from(i)));
    }
    return BufferInternal.buffer(joined);
  }

  @Override
  public Buffer end() {
    return Buffer.buffer(meter.flush());
  }
}
