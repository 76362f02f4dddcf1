package dev.keyward.proxy.forward;

import java.io.ByteArrayOutputStream;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Streaming gzip or deflate decoding, with a hard bound on what one input may produce and an exact
 * answer to "did the body end where its coding ends": gzip's header and trailer (CRC-32 and
 * length) are checked; deflate is zlib-wrapped or raw, told apart by its first two bytes as
 * browsers do. Not thread-safe; one per body.
 */
final class Inflation {

  /** Corrupt input, input past the end, or output over the bound. */
  static final class Refused extends Exception {
    Refused(String message) {
      super(message, null, false, false);
    }
  }

  private enum State { HEADER, BODY, TRAILER, DONE }

  private static final int GZIP_HEADER = 10;
  private static final int GZIP_TRAILER = 8;
  private static final int FHCRC = 2;
  private static final int FEXTRA = 4;
  private static final int FNAME = 8;
  private static final int FCOMMENT = 16;

  private final boolean gzip;
  private final byte[] window = new byte[8192];
  private final CRC32 crc = new CRC32();
  /** The header (gzip), the first two bytes (deflate) or the trailer (gzip) read so far. */
  private final ByteArrayOutputStream framing = new ByteArrayOutputStream();
  private State state = State.HEADER;
  private Inflater inflater;

  private Inflation(boolean gzip) {
    this.gzip = gzip;
  }

  static Inflation gzip() {
    return new Inflation(true);
  }

  static Inflation deflate() {
    return new Inflation(false);
  }

  /** The decoded bytes of {@code in[offset, offset + length)}: at most {@code maxOut} of them. */
  byte[] push(byte[] in, int offset, int length, int maxOut) throws Refused {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int at = offset;
    int end = offset + length;
    while (at < end) {
      switch (state) {
        case HEADER -> at = header(in, at, out, maxOut);
        case BODY -> {
          inflater.setInput(in, at, end - at);
          inflate(out, maxOut);
          at = end - inflater.getRemaining();
        }
        case TRAILER -> at = trailer(in, at, end);
        case DONE -> throw new Refused("data after the end of the coded body");
        default -> throw new IllegalStateException(state.toString());
      }
    }
    return out.toByteArray();
  }

  /** True when the coded body ended where its coding says it ends. */
  boolean complete() {
    return state == State.DONE;
  }

  void close() {
    if (inflater != null) {
      inflater.end();
    }
  }

  private void inflate(ByteArrayOutputStream out, int maxOut) throws Refused {
    try {
      while (!inflater.finished() && !inflater.needsInput()) {
        int n = inflater.inflate(window);
        if (n == 0 && inflater.needsDictionary()) {
          throw new Refused("the body needs a preset dictionary");
        }
        if (out.size() + n > maxOut) {
          throw new Refused("one chunk decodes into more than " + maxOut + " bytes");
        }
        crc.update(window, 0, n);
        out.write(window, 0, n);
      }
    } catch (DataFormatException e) {
      throw new Refused("corrupt coded body");
    }
    if (inflater.finished()) {
      state = gzip ? State.TRAILER : State.DONE;
      framing.reset();
    }
  }

  /** Reads one header byte; once the header is whole, starts the body. */
  private int header(byte[] in, int at, ByteArrayOutputStream out, int maxOut) throws Refused {
    framing.write(in[at]);
    byte[] head = framing.toByteArray();
    if (!gzip) {
      if (head.length == 2) { // zlib's CMF and FLG, or the start of raw deflate
        int cmf = head[0] & 0xff;
        boolean zlib = (cmf & 0x0f) == 8 && ((cmf << 8) | (head[1] & 0xff)) % 31 == 0;
        inflater = new Inflater(!zlib);
        state = State.BODY;
        inflater.setInput(head);
        inflate(out, maxOut);
      }
      return at + 1;
    }
    if (head.length >= 2 && ((head[0] & 0xff) != 0x1f || (head[1] & 0xff) != 0x8b)) {
      throw new Refused("not a gzip body");
    }
    if (head.length == gzipHeaderLength(head)) {
      if ((head[2] & 0xff) != 8) {
        throw new Refused("a gzip body with an unknown compression method");
      }
      inflater = new Inflater(true);
      state = State.BODY;
    }
    return at + 1;
  }

  /**
   * The length of the gzip header that starts with {@code h}, or -1 while it is not known yet
   * (optional fields whose length is still to come).
   */
  private static int gzipHeaderLength(byte[] h) {
    if (h.length < GZIP_HEADER) {
      return -1;
    }
    int flags = h[3] & 0xff;
    int at = GZIP_HEADER;
    if ((flags & FEXTRA) != 0) {
      if (h.length < at + 2) {
        return -1;
      }
      at += 2 + ((h[at] & 0xff) | (h[at + 1] & 0xff) << 8);
    }
    for (int field : new int[] {FNAME, FCOMMENT}) {
      if ((flags & field) != 0) {
        int zero = at;
        while (zero < h.length && h[zero] != 0) {
          zero++;
        }
        if (zero >= h.length) {
          return -1;
        }
        at = zero + 1;
      }
    }
    return (flags & FHCRC) != 0 ? at + 2 : at;
  }

  /** Reads gzip's trailer and checks it against what was decoded. */
  private int trailer(byte[] in, int at, int end) throws Refused {
    while (at < end && framing.size() < GZIP_TRAILER) {
      framing.write(in[at++]);
    }
    if (framing.size() == GZIP_TRAILER) {
      byte[] t = framing.toByteArray();
      if (littleEndian(t, 0) != crc.getValue()
          || littleEndian(t, 4) != (inflater.getBytesWritten() & 0xffffffffL)) {
        throw new Refused("a gzip body whose checksum or length does not match");
      }
      state = State.DONE;
    }
    return at;
  }

  private static long littleEndian(byte[] b, int at) {
    return (b[at] & 0xffL) | (b[at + 1] & 0xffL) << 8 | (b[at + 2] & 0xffL) << 16
        | (b[at + 3] & 0xffL) << 24;
  }
}
