package dev.keyward.proxy.forward;

import dev.keyward.proxy.call.BodyTap;
import dev.keyward.proxy.error.ErrorCode;
import dev.keyward.proxy.error.ProxyException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.compression.Brotli;
import io.netty.handler.codec.compression.BrotliDecoder;
import io.netty.handler.codec.compression.DecompressionException;
import io.netty.handler.codec.compression.Zstd;
import io.netty.handler.codec.compression.ZstdDecoder;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Undoes the content codings of an upstream response body, so that the redactor (and anything
 * else that reads the body) sees the plain bytes: no coding may carry a key past the redactor.
 * Keyward asks upstreams for {@code identity}; this is for those that compress anyway. gzip and
 * deflate (zlib-wrapped or raw) are decoded by {@link Inflation}, br and zstd by Netty's
 * decoders; stacked codings in reverse order. Any other coding is refused before a byte reaches
 * the agent.
 *
 * <p>A compressed body is bounded like any other input: at most {@link #MAX_CODINGS} stacked
 * codings; input fed in slices of {@link #SLICE} bytes; no slice may decode into more than
 * {@link #MAX_DECODED_PER_SLICE} bytes at any layer (a compression bomb is stopped there, its
 * output never held). A gzip or deflate body that ends before its coding does is refused like a
 * corrupt one (br and zstd say less: a cut one just ends).
 */
public final class ContentDecoding implements BodyTap {

  static final int SLICE = 4096;
  static final int MAX_CODINGS = 2;
  /** Above deflate's largest ratio for one slice (about 1032:1): only a bomb gets there. */
  static final int MAX_DECODED_PER_SLICE = 8 * 1024 * 1024;

  /** One coding undone. */
  private interface Layer {
    byte[] decode(byte[] in, int maxOut) throws Inflation.Refused;

    /** What is left at the end; refuses a body that ended before its coding did. */
    byte[] finish() throws Inflation.Refused;

    void close();
  }

  private final List<Layer> layers;
  private boolean closed;

  private ContentDecoding(List<Layer> layers) {
    this.layers = layers;
  }

  /**
   * The decoding for the {@code Content-Encoding} header values, or empty when the body is not
   * encoded.
   *
   * @throws ProxyException {@code upstream_encoding_unsupported} for a coding Keyward cannot
   *     decode, or more of them stacked than it decodes
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
    if (codings.size() > MAX_CODINGS) {
      throw ErrorCode.UPSTREAM_ENCODING_UNSUPPORTED.exception("the upstream stacked "
          + codings.size() + " content codings; Keyward decodes at most " + MAX_CODINGS);
    }
    List<Layer> layers = new ArrayList<>();
    for (int i = codings.size() - 1; i >= 0; i--) { // the last coding applied is undone first
      layers.add(layerFor(codings.get(i)));
    }
    return Optional.of(new ContentDecoding(layers));
  }

  private static Layer layerFor(String coding) throws ProxyException {
    switch (coding) {
      case "gzip", "x-gzip":
        return inflating(Inflation.gzip());
      case "deflate":
        return inflating(Inflation.deflate());
      case "br":
        if (Brotli.isAvailable()) {
          return new NettyLayer(new BrotliDecoder());
        }
        break;
      case "zstd":
        if (Zstd.isAvailable()) {
          return new NettyLayer(new ZstdDecoder());
        }
        break;
      default:
        break;
    }
    throw ErrorCode.UPSTREAM_ENCODING_UNSUPPORTED.exception("the upstream answered with content"
        + " coding '" + printable(coding) + "', which Keyward cannot decode (and so cannot scan)");
  }

  private static Layer inflating(Inflation inflation) {
    return new Layer() {
      @Override
      public byte[] decode(byte[] in, int maxOut) throws Inflation.Refused {
        return inflation.push(in, 0, in.length, maxOut);
      }

      @Override
      public byte[] finish() throws Inflation.Refused {
        if (!inflation.complete()) {
          throw new Inflation.Refused("the body ended before its coding did");
        }
        return new byte[0];
      }

      @Override
      public void close() {
        inflation.close();
      }
    };
  }

  /** A Netty decoder in an embedded channel, stopped by a limit on what one input decodes to. */
  private static final class NettyLayer extends ChannelInboundHandlerAdapter implements Layer {

    private final EmbeddedChannel channel;
    private final List<ByteBuf> decoded = new ArrayList<>();
    private long budget;
    private boolean exceeded;

    NettyLayer(ChannelHandler decoder) {
      this.channel = new EmbeddedChannel(decoder, this);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf bytes = (ByteBuf) msg;
      budget -= bytes.readableBytes();
      if (exceeded || budget < 0) {
        bytes.release();
        if (!exceeded) {
          exceeded = true;
          // Once, to stop the decoder's loop: the input is refused as a whole.
          throw new DecompressionException("over the limit");
        }
        return;
      }
      decoded.add(bytes);
    }

    @Override
    public byte[] decode(byte[] in, int maxOut) throws Inflation.Refused {
      budget = maxOut;
      try {
        channel.writeInbound(Unpooled.wrappedBuffer(in));
      } catch (RuntimeException e) {
        release();
        throw new Inflation.Refused(exceeded ? "one chunk decodes into more than " + maxOut
            + " bytes" : "corrupt coded body");
      }
      return drain();
    }

    @Override
    public byte[] finish() throws Inflation.Refused {
      try {
        channel.finish();
      } catch (RuntimeException e) {
        release();
        throw new Inflation.Refused("corrupt coded body");
      }
      return drain();
    }

    @Override
    public void close() {
      release();
      channel.finishAndReleaseAll();
    }

    private byte[] drain() {
      int size = decoded.stream().mapToInt(ByteBuf::readableBytes).sum();
      byte[] out = new byte[size];
      int at = 0;
      for (ByteBuf bytes : decoded) {
        int n = bytes.readableBytes();
        bytes.readBytes(out, at, n);
        at += n;
        bytes.release();
      }
      decoded.clear();
      return out;
    }

    private void release() {
      decoded.forEach(ByteBuf::release);
      decoded.clear();
    }
  }

  /** The decoded bytes of one chunk of the encoded body. */
  @Override
  public Buffer chunk(Buffer chunk) throws ProxyException {
    Buffer out = Buffer.buffer();
    byte[] in = chunk.getBytes();
    for (int from = 0; from < in.length; from += SLICE) {
      byte[] data = Arrays.copyOfRange(in, from, Math.min(in.length, from + SLICE));
      try {
        for (Layer layer : layers) {
          data = layer.decode(data, MAX_DECODED_PER_SLICE);
        }
      } catch (Inflation.Refused e) {
        throw refused(e);
      }
      out.appendBytes(data);
      if (out.length() > MAX_DECODED_PER_SLICE) {
        throw refused(new Inflation.Refused("one chunk decodes into more than "
            + MAX_DECODED_PER_SLICE + " bytes"));
      }
    }
    return out;
  }

  /** Whatever the decoders still hold at the end of the body; frees them. */
  @Override
  public Buffer end() throws ProxyException {
    try {
      byte[] data = new byte[0];
      for (Layer layer : layers) {
        byte[] rest = data.length == 0 ? new byte[0] : layer.decode(data, MAX_DECODED_PER_SLICE);
        byte[] tail = layer.finish();
        data = concat(rest, tail);
      }
      return Buffer.buffer(data);
    } catch (Inflation.Refused e) {
      throw refused(e);
    } finally {
      close();
    }
  }

  /** Frees the decoders (also when the body ends early). */
  public void close() {
    if (!closed) {
      closed = true;
      layers.forEach(Layer::close);
    }
  }

  private ProxyException refused(Inflation.Refused e) {
    close();
    return ErrorCode.UPSTREAM_RESET.exception("the upstream's coded body was refused: "
        + e.getMessage());
  }

  private static byte[] concat(byte[] a, byte[] b) {
    if (a.length == 0) {
      return b;
    }
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static String printable(String coding) {
    String cleaned = coding.replaceAll("[^a-z0-9._+-]", "?");
    return cleaned.length() > 32 ? cleaned.substring(0, 32) + "…" : cleaned;
  }
}
