package dev.keyward.proxy.forward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/** gzip and deflate decoded as they stream, bounded, and refused when cut or corrupt. */
class InflationTest {

  static final byte[] TEXT = ("{\"message\":\"Incorrect API key provided: sk-test\"}"
      + " and some more text ".repeat(40)).getBytes(StandardCharsets.UTF_8);
  static final int MAX = 1 << 20;

  static byte[] gzip(byte[] body) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
      gzip.write(body);
    }
    return out.toByteArray();
  }

  static byte[] deflate(byte[] body, boolean raw) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (DeflaterOutputStream deflate =
        new DeflaterOutputStream(out, new Deflater(Deflater.DEFAULT_COMPRESSION, raw))) {
      deflate.write(body);
    }
    return out.toByteArray();
  }

  /** Feeds {@code coded} split at {@code at}; returns what came out. */
  static byte[] decode(Inflation inflation, byte[] coded, int at) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(inflation.push(coded, 0, at, MAX));
    out.write(inflation.push(coded, at, coded.length - at, MAX));
    return out.toByteArray();
  }

  @Test
  void gzipSplitAtEveryByteDecodesWholeAndComplete() throws Exception {
    byte[] coded = gzip(TEXT);
    for (int at = 0; at <= coded.length; at++) {
      Inflation inflation = Inflation.gzip();
      assertArrayEquals(TEXT, decode(inflation, coded, at), "split at " + at);
      assertTrue(inflation.complete(), "split at " + at);
    }
  }

  @Test
  void deflateWithAndWithoutTheZlibWrapperSplitAtEveryByte() throws Exception {
    for (boolean raw : new boolean[] {false, true}) {
      byte[] coded = deflate(TEXT, raw);
      for (int at = 0; at <= coded.length; at++) {
        Inflation inflation = Inflation.deflate();
        assertArrayEquals(TEXT, decode(inflation, coded, at), "raw " + raw + " split at " + at);
        assertTrue(inflation.complete());
      }
    }
  }

  @Test
  void aGzipHeaderWithEveryOptionalFieldIsRead() throws Exception {
    byte[] body = deflate(TEXT, true);
    CRC32 crc = new CRC32();
    crc.update(TEXT);
    ByteArrayOutputStream coded = new ByteArrayOutputStream();
    coded.write(new byte[] {0x1f, (byte) 0x8b, 8, 4 | 8 | 16 | 2, 0, 0, 0, 0, 0, 3});
    coded.write(new byte[] {3, 0, 'a', 'b', 'c'}); // FEXTRA
    coded.write("name.json\0".getBytes(StandardCharsets.US_ASCII)); // FNAME
    coded.write("a comment\0".getBytes(StandardCharsets.US_ASCII)); // FCOMMENT
    coded.write(new byte[] {0, 0}); // FHCRC
    coded.write(body);
    long sum = crc.getValue();
    long size = TEXT.length;
    coded.write(new byte[] {(byte) sum, (byte) (sum >> 8), (byte) (sum >> 16), (byte) (sum >> 24),
        (byte) size, (byte) (size >> 8), (byte) (size >> 16), (byte) (size >> 24)});
    byte[] bytes = coded.toByteArray();
    Inflation inflation = Inflation.gzip();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte b : bytes) {
      out.write(inflation.push(new byte[] {b}, 0, 1, MAX));
    }
    assertArrayEquals(TEXT, out.toByteArray());
    assertTrue(inflation.complete());
  }

  @Test
  void aGzipBodyCutBeforeItsTrailerIsNotComplete() throws Exception {
    byte[] coded = gzip(TEXT);
    Inflation inflation = Inflation.gzip();
    inflation.push(coded, 0, coded.length - 4, MAX);
    assertFalse(inflation.complete());
  }

  @Test
  void aWrongChecksumIsRefused() throws Exception {
    byte[] coded = gzip(TEXT);
    coded[coded.length - 8] ^= 1;
    assertThrows(Inflation.Refused.class, () -> Inflation.gzip().push(coded, 0, coded.length, MAX));
  }

  @Test
  void dataAfterTheEndIsRefused() throws Exception {
    byte[] coded = Arrays.copyOf(gzip(TEXT), gzip(TEXT).length + 1);
    assertThrows(Inflation.Refused.class, () -> Inflation.gzip().push(coded, 0, coded.length, MAX));
  }

  @Test
  void outputOverTheBoundIsRefused() throws Exception {
    byte[] coded = gzip(new byte[64 * 1024]);
    assertThrows(Inflation.Refused.class,
        () -> Inflation.gzip().push(coded, 0, coded.length, 32 * 1024));
  }
}
