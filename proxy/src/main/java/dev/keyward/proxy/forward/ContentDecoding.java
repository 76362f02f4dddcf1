package dev.keyward.proxy.forward;

import dev.keyward.proxy.call.BodyTap;
import dev.keyward.proxy.error.ErrorCode;
import dev.keyward.proxy.error.ProxyException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.compression.Brotli;
import io.netty.handler.codec.compression.BrotliDecoder;
import io.netty.handler.codec.compression.ZlibCodecFactory;
import io.netty.handler.codec.compression.ZlibWrapper;
import io.netty.handler.codec.compression.Zstd;
import io.netty.handler.codec.compression.ZstdDecoder;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Undoes the content codings of an upstream response body, so that the redactor (and anything
 * else that reads the body) sees the plain bytes: no coding may carry a key past the redactor.
 * Keyward asks upstreams for {@code identity}; this is for those that compress anyway. gzip,
 * deflate (zlib-wrapped or raw), br and zstd are decoded with Netty's decoders, stacked codings in
 * reverse order. Any other coding is refused before a byte reaches the agent.
 *
 * <p>Input is fed in slices of {@link #SLICE} bytes, so one call's output is bounded by the
 * slice size times the coding's largest ratio, whatever the upstream's chunks are.
 */
public final class ContentDecoding implements BodyTap {

  static final int SLICE = 4096;

  private final EmbeddedChannel channel;
  private boolean closed;

  private ContentDecoding(List<ChannelHandler> decoders) {
    this.channel = new EmbeddedChannel(decoders.toArray(new ChannelHandler[0]));
  }

  /**
   * The decoding for the {@code Content-Encoding} header values, or empty when the body is not
   * encoded.
   *
   * @throws ProxyException {@code upstream_encoding_unsupported} for a coding Keyward cannot decode
   */
  public static Optional<ContentDecoding> forHeaders(List<String> contentEncoding)
      throws ProxyException {
    List<String> codings = new ArrayList<>();
    for (String value : contentEncoding) {
      for (String coding : value.split(",")) {
        String name = coding.trim().toLowerCase(Locale.ROOT);
        if (!name.isEmpty() && !name.equals("identity")) {
          codings.add(name);
        }
      }
    }
    if (codings.isEmpty()) {
      return Optional.empty();
    }
    List<ChannelHandler> decoders = new ArrayList<>();
    for (int i = codings.size() - 1; i >= 0; i--) { // the last coding applied is undone first
      decoders.add(decoderFor(codings.get(i)));
    }
    return Optional.of(new ContentDecoding(decoders));
  }

  private static ChannelHandler decoderFor(String coding) throws ProxyException {
    switch (coding) {
      case "gzip", "x-gzip":
        return ZlibCodecFactory.newZlibDecoder(ZlibWrapper.GZIP);
      case "deflate":
        return ZlibCodecFactory.newZlibDecoder(ZlibWrapper.ZLIB_OR_NONE);
      case "br":
        if (Brotli.isAvailable()) {
          return new BrotliDecoder();
        }
        break;
      case "zstd":
        if (Zstd.isAvailable()) {
          return new ZstdDecoder();
        }
        break;
      default:
        break;
    }
    throw ErrorCode.UPSTREAM_ENCODING_UNSUPPORTED.exception("the upstream answered with content"
        + " coding '" + printable(coding) + "', which Keyward cannot decode (and so cannot scan)");
  }

  /** The decoded bytes of one chunk of the encoded body. */
  @Override
  public Buffer chunk(Buffer chunk) throws ProxyException {
    Buffer out = Buffer.buffer();
    byte[] in = chunk.getBytes();
    for (int from = 0; from < in.length; from += SLICE) {
      int length = Math.min(SLICE, in.length - from);
      try {
        channel.writeInbound(Unpooled.wrappedBuffer(in, from, length));
      } catch (RuntimeException e) {
        throw corrupt();
      }
      drainInto(out);
    }
    return out;
  }

  /** Whatever the decoders still hold at the end of the body; frees them. */
  @Override
  public Buffer end() throws ProxyException {
    Buffer out = Buffer.buffer();
    try {
      channel.finish();
    } catch (RuntimeException e) {
      throw corrupt();
    } finally {
      drainInto(out);
      close();
    }
    return out;
  }

  /** Frees the decoders (also when the body ends early). */
  public void close() {
    if (!closed) {
      closed = true;
      channel.finishAndReleaseAll();
    }
  }

  private void drainInto(Buffer out) {
    for (ByteBuf decoded; (decoded = channel.readInbound()) != null; ) {
      try {
        byte[] bytes = new byte[decoded.readableBytes()];
        decoded.readBytes(bytes);
        out.appendBytes(bytes);
      } finally {
        decoded.release();
      }
    }
  }

  private ProxyException corrupt() {
    close();
    return ErrorCode.UPSTREAM_RESET.exception("the upstream's encoded body could not be decoded");
  }

  private static String printable(String coding) {
    String cleaned = coding.replaceAll("[^a-z0-9._+-]", "?");
    return cleaned.length() > 32 ? cleaned.substring(0, 32) + "…" : cleaned;
  }
}
