package dev.keyward.proxy.forward;

import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Keeps the injected secret from coming back to the agent when an upstream echoes it: finds the
 * secret in response headers and bodies and replaces it with {@code [REDACTED]}. Besides the raw
 * secret it looks for its percent-encoded form and its base64 forms (standard and URL alphabets, at
 * each of the three byte alignments it can have inside a longer base64 text, like
 * {@code base64("Authorization: Bearer <secret>")}).
 *
 * <p>Bodies are scanned as they stream, chunk by chunk, in constant memory: between chunks at most
 * one pattern length minus one byte is held back, and only when the chunk ends with what could be
 * the start of a secret. Holds the secret's patterns until {@link #destroy()}.
 */
public final class Redactor {

  public static final byte[] REPLACEMENT = "[REDACTED]".getBytes(StandardCharsets.US_ASCII);
  /** Encoded forms of secrets shorter than this are not searched: they would match by accident. */
  static final int MIN_ENCODED_PATTERN = 8;

  /** Redacts nothing: for responses to requests that carried no secret. */
  public static final Redactor NONE = new Redactor(new byte[0][]);

  private final byte[][] patterns;
  private final boolean[] firstBytes = new boolean[256];
  /** The length of the shortest pattern: the window of the skip search. */
  private final int window;
  /** Bytes that end the first {@link #window} bytes of some pattern. */
  private final boolean[] windowEnds = new boolean[256];
  /**
   * How far the window may move on when its last byte is this one: from the end of the window
   * back to where the byte occurs last in some pattern's first {@code window - 1} bytes, or the
   * whole window when it occurs in none (Horspool's rule, over all patterns at once).
   */
  private final int[] shifts = new int[256];

  private Redactor(byte[][] patterns) {
    this.patterns = patterns;
    int shortest = Integer.MAX_VALUE;
    for (byte[] pattern : patterns) {
      firstBytes[pattern[0] & 0xff] = true;
      shortest = Math.min(shortest, pattern.length);
    }
    window = patterns.length == 0 ? 0 : shortest;
    Arrays.fill(shifts, Math.max(1, window));
    for (byte[] pattern : patterns) {
      windowEnds[pattern[window - 1] & 0xff] = true;
      for (int j = 0; j < window - 1; j++) {
        shifts[pattern[j] & 0xff] = Math.min(shifts[pattern[j] & 0xff], window - 1 - j);
      }
    }
  }

  /** A redactor for {@code secret} (printable ASCII) and its encodings. */
  public static Redactor forSecret(String secret) {
    Set<String> forms = new LinkedHashSet<>();
    forms.add(secret);
    String percentEncoded = URLEncoder.encode(secret, StandardCharsets.UTF_8);
    forms.add(percentEncoded);
    byte[] raw = secret.getBytes(StandardCharsets.UTF_8);
    for (Base64.Encoder encoder : List.of(Base64.getEncoder(), Base64.getUrlEncoder())) {
      for (int offset = 0; offset < 3; offset++) {
        forms.add(alignedCore(encoder, raw, offset));
      }
    }
    List<byte[]> patterns = new ArrayList<>();
    for (String form : forms) {
      if (form.equals(secret) || form.length() >= MIN_ENCODED_PATTERN) {
        patterns.add(form.getBytes(StandardCharsets.US_ASCII));
      }
    }
    return new Redactor(patterns.toArray(new byte[0][]));
  }

  /**
   * The part of {@code base64(offset bytes + secret)} that depends only on the secret's bits: what
   * appears in any base64 text where the secret starts {@code offset} bytes into a 3-byte group.
   */
  static String alignedCore(Base64.Encoder encoder, byte[] secret, int offset) {
    byte[] padded = new byte[offset + secret.length];
    System.arraycopy(secret, 0, padded, offset, secret.length);
    String encoded = encoder.withoutPadding().encodeToString(padded);
    int from = (offset * 8 + 5) / 6;
    int to = ((offset + secret.length) * 8) / 6;
    return encoded.substring(from, Math.max(from, to));
  }

  /** The header value with every occurrence replaced; the same instance when none occurs. */
  public String redact(String value) {
    if (patterns.length == 0 || value.length() < window) {
      return value; // shorter than every pattern: most header values
    }
    byte[] bytes = value.getBytes(StandardCharsets.ISO_8859_1);
    Stream stream = newStream();
    byte[] out = stream.scan(bytes, true);
    return Arrays.equals(out, bytes) ? value : new String(out, StandardCharsets.ISO_8859_1);
  }

  /** Scanning state for one body. */
  public Stream newStream() {
    return new Stream();
  }

  /** Overwrites the patterns (the secret and its encodings) once the exchange is over. */
  public void destroy() {
    for (byte[] pattern : patterns) {
      Arrays.fill(pattern, (byte) 0);
    }
  }

  /** The redaction of one body, fed chunk by chunk. */
  public final class Stream {

    private byte[] carry = new byte[0];

    /**
     * The bytes of {@code chunk} (and of earlier held-back bytes) that can be sent now: {@code
     * chunk} itself, not copied, when nothing is held back and no pattern starts in it.
     */
    public Buffer push(Buffer chunk) {
      if (patterns.length == 0 || carry.length == 0 && !anyPatternStarts(chunk)) {
        return chunk;
      }
      byte[] in = chunk.getBytes();
      if (carry.length > 0) {
        byte[] joined = new byte[carry.length + in.length];
        System.arraycopy(carry, 0, joined, 0, carry.length);
        System.arraycopy(in, 0, joined, carry.length, in.length);
        in = joined;
      }
      return Buffer.buffer(scan(in, false));
    }

    /**
     * Whether a pattern occurs in {@code chunk}, whole or cut off by its end: a skip search on
     * the first {@link #window} bytes of the patterns that reads about one byte in every few of
     * the chunk, in place. When it says no, {@link #scan} would return the chunk unchanged and
     * hold nothing back.
     */
    private boolean anyPatternStarts(Buffer chunk) {
      int length = chunk.length();
      int p = 0;
      while (p + window <= length) {
        int last = chunk.getByte(p + window - 1) & 0xff;
        if (windowEnds[last] && windowMatches(chunk, p)) {
          return true;
        }
        p += shifts[last];
      }
      // Past the last whole window only a pattern cut off by the end of the chunk can start.
      for (; p < length; p++) {
        if (firstBytes[chunk.getByte(p) & 0xff] && prefixAtEnd(chunk, p)) {
          return true;
        }
      }
      return false;
    }

    private boolean windowMatches(Buffer chunk, int at) {
      for (byte[] pattern : patterns) {
        int i = 0;
        while (i < window && chunk.getByte(at + i) == pattern[i]) {
          i++;
        }
        if (i == window) {
          return true;
        }
      }
      return false;
    }

    private boolean prefixAtEnd(Buffer chunk, int at) {
      int n = chunk.length() - at;
      for (byte[] pattern : patterns) {
        int i = 0;
        while (i < n && i < pattern.length && chunk.getByte(at + i) == pattern[i]) {
          i++;
        }
        if (i == n) {
          return true;
        }
      }
      return false;
    }

    /** Whatever was held back, at the end of the body. */
    public Buffer finish() {
      byte[] rest = carry;
      carry = new byte[0];
      return Buffer.buffer(rest.length == 0 ? rest : scan(rest, true));
    }

    /**
     * Copies {@code in} to the output with every full match replaced. Unless {@code last}, a
     * trailing partial match is held back in {@link #carry} instead of being copied.
     */
    byte[] scan(byte[] in, boolean last) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
      int emitted = 0;
      int p = 0;
      while (p < in.length) {
        if (!firstBytes[in[p] & 0xff]) {
          p++;
          continue;
        }
        int matched = 0;
        boolean partial = false;
        for (byte[] pattern : patterns) {
          int n = Math.min(pattern.length, in.length - p);
          if (Arrays.equals(in, p, p + n, pattern, 0, n)) {
            if (n == pattern.length) {
              matched = Math.max(matched, n);
            } else {
              partial = true;
            }
          }
        }
        if (matched > 0) {
          out.write(in, emitted, p - emitted);
          out.writeBytes(REPLACEMENT);
          p += matched;
          emitted = p;
        } else if (partial && !last) {
          break;
        } else {
          p++;
        }
      }
      out.write(in, emitted, p - emitted);
      carry = p < in.length ? Arrays.copyOfRange(in, p, in.length) : new byte[0];
      return out.toByteArray();
    }
  }
}
