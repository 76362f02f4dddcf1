package dev.keyward.llm;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads what {@link OpenAiUsage} needs of one stream chunk straight from its bytes, without a
 * String or a JSON tree: the hot path of a metered stream, where every content chunk is read and
 * almost none carries usage. It reads strict JSON only, in a subset where its answer is exactly
 * the tree's ({@link OpenAiUsage#accept} on {@code Json.readResponse} of the decoded text), and
 * declines everything else, which then takes the tree path: a {@code usage} object, a {@code
 * response.*} event, a duplicate key, a {@code \\u} escape, invalid UTF-8, a control byte, a
 * structured tool input, an unusual number or nesting past {@link #MAX_DEPTH}.
 *
 * <p>What it gives, for a chunk it read: the top-level {@code model} if it is a string, whether a
 * {@code choices} element has a non-empty {@code finish_reason}, and the UTF-8 bytes of generated
 * text by {@link OutputText}'s rule. Not thread-safe: one per meter.
 */
final class OpenAiChunkScan {

  static final int MAX_DEPTH = 64;
  private static final int MAX_NUMBER_BYTES = 64;
  /** Below every limit of Jackson's {@code StreamReadConstraints}, for strings and names. */
  private static final int MAX_STRING_BYTES = 1 << 20;
  private static final int MAX_KEY_BYTES = 1024;

  private static final int OTHER = 0;
  private static final int TEXT = 1;
  private static final int STRUCTURED = 2;
  private static final int MODEL = 3;
  private static final int TYPE = 4;
  private static final int USAGE = 5;
  private static final int CHOICES = 6;
  private static final int FINISH_REASON = 7;

  private static final byte[][] TEXT_KEYS = bytes("content", "text", "refusal", "reasoning",
      "reasoning_content", "thinking", "partial_json", "arguments");
  private static final byte[][] STRUCTURED_KEYS = bytes("input", "args");
  private static final byte[] MODEL_KEY = bytes("model")[0];
  private static final byte[] TYPE_KEY = bytes("type")[0];
  private static final byte[] USAGE_KEY = bytes("usage")[0];
  private static final byte[] CHOICES_KEY = bytes("choices")[0];
  private static final byte[] FINISH_REASON_KEY = bytes("finish_reason")[0];
  private static final byte[] RESPONSE_PREFIX = bytes("response.")[0];

  /** Where an object sits: the message itself, an element of its choices, or elsewhere. */
  private static final int IN_MESSAGE = 1;
  private static final int IN_CHOICE = 2;
  private static final int IN_OTHER = 3;

  /** Not read in the subset: the caller takes the tree path. Preallocated, without a stack. */
  private static final class Declined extends Exception {
    Declined() {
      super(null, null, false, false);
    }
  }

  private static final Declined DECLINED = new Declined();

  private byte[] in;
  private int p;
  private int end;
  private int depth;
  /** Hashes of the keys of the objects being read, innermost last, to find duplicates. */
  private int[] keys = new int[32];
  private int keyCount;

  /** Where the model of the chunk last read is: {@code modelFrom} is -1 when it names none. */
  byte[] modelIn;
  int modelFrom;
  int modelLength;
  boolean finished;
  long contentBytes;

  /** Where the last text value of the chunk being read starts and ends (its quotes excluded). */
  private int textFrom;
  private int textTo;
  private long textBytes;

  /**
   * The chunk last read in full, as its bytes before and after its last text value, with what
   * it said besides that text: a chunk of the same shape (the same bytes around a different
   * text, as a stream's content chunks are) is read by checking those bytes and reading its text.
   * Null until a chunk with text was read.
   */
  private byte[] shapeBefore;
  private byte[] shapeAfter;
  private byte[] shapeModel;
  private boolean shapeFinished;
  private long shapeOtherBytes;

  /**
   * Reads the JSON object at {@code in[from..from+length)} (its first byte is {@code '{'});
   * bytes after the object are ignored, as the tree reader ignores them. False when declined.
   */
  boolean scan(byte[] in, int from, int length) {
    this.in = in;
    this.end = from + length;
    if (sameShape(from, length)) {
      return true;
    }
    this.p = from;
    depth = 0;
    keyCount = 0;
    modelIn = in;
    modelFrom = -1;
    modelLength = 0;
    finished = false;
    contentBytes = 0;
    textFrom = -1;
    try {
      object(IN_MESSAGE);
    } catch (Declined e) {
      return false;
    }
    if (textFrom >= 0) {
      shapeBefore = Arrays.copyOfRange(in, from, textFrom);
      shapeAfter = Arrays.copyOfRange(in, textTo, end);
      shapeModel = modelFrom < 0 ? null : Arrays.copyOfRange(in, modelFrom, modelFrom + modelLength);
      shapeFinished = finished;
      shapeOtherBytes = contentBytes - textBytes;
    } else {
      shapeBefore = null;
    }
    return true;
  }

  /**
   * True when the chunk has the shape of the one last read in full and its text is a string this
   * reader reads: then the JSON around the text is the same, so it says the same, and only the
   * text differs. Sets the results as {@link #scan} does.
   */
  private boolean sameShape(int from, int length) {
    if (shapeBefore == null || length < shapeBefore.length + shapeAfter.length
        || !Arrays.equals(in, from, from + shapeBefore.length, shapeBefore, 0, shapeBefore.length)
        || !Arrays.equals(in, end - shapeAfter.length, end, shapeAfter, 0, shapeAfter.length)) {
      return false;
    }
    p = from + shapeBefore.length - 1; // the text's opening quote
    long text;
    try {
      text = string();
    } catch (Declined e) {
      return false;
    }
    if (p != end - shapeAfter.length + 1) {
      return false; // the text ended before the bytes after it: another shape
    }
    modelIn = shapeModel;
    modelFrom = shapeModel == null ? -1 : 0;
    modelLength = shapeModel == null ? 0 : shapeModel.length;
    finished = shapeFinished;
    contentBytes = shapeOtherBytes + text;
    return true;
  }

  /** True when the model of the chunk last read is {@code utf8}, byte for byte. */
  boolean modelIs(byte[] utf8) {
    return modelLength == utf8.length
        && Arrays.equals(modelIn, modelFrom, modelFrom + modelLength, utf8, 0, modelLength);
  }

  /** The model of the chunk last read, decoded (only after a scan that found one). */
  String model() {
    return new String(modelIn, modelFrom, modelLength, StandardCharsets.UTF_8);
  }

  private void object(int where) throws Declined {
    if (++depth > MAX_DEPTH) {
      throw DECLINED;
    }
    p++; // '{'
    int firstKey = keyCount;
    skipSpace();
    if (peek() == '}') {
      p++;
    } else {
      while (true) {
        if (peek() != '"') {
          throw DECLINED;
        }
        int keyFrom = p + 1;
        int keyLength = key();
        remember(keyFrom, keyLength, firstKey);
        skipSpace();
        if (peek() != ':') {
          throw DECLINED;
        }
        p++;
        skipSpace();
        member(kind(keyFrom, keyLength, where), where);
        skipSpace();
        byte b = peek();
        p++;
        if (b == '}') {
          break;
        }
        if (b != ',') {
          throw DECLINED;
        }
        skipSpace();
      }
    }
    keyCount = firstKey;
    depth--;
  }

  /** One member's value, by what its key means where it is. */
  private void member(int kind, int where) throws Declined {
    byte b = peek();
    switch (b) {
      case '"' -> {
        int from = p + 1;
        long textBytes = string();
        int length = p - 1 - from;
        switch (kind) {
          case TEXT -> {
            contentBytes += textBytes;
            this.textFrom = from;
            this.textTo = p - 1;
            this.textBytes = textBytes;
          }
          case MODEL -> {
            if (textBytes != length) {
              throw DECLINED; // an escape: leave the decoding to the tree
            }
            modelFrom = from;
            modelLength = length;
          }
          case TYPE -> {
            if (textBytes != length || startsWith(from, length, RESPONSE_PREFIX)) {
              throw DECLINED; // a Responses API event
            }
          }
          case FINISH_REASON -> finished |= length > 0;
          default -> { }
        }
      }
      case '{' -> {
        if (kind == STRUCTURED || kind == USAGE) {
          throw DECLINED;
        }
        object(IN_OTHER);
      }
      case '[' -> {
        if (kind == STRUCTURED) {
          throw DECLINED;
        }
        array(kind == CHOICES ? IN_CHOICE : IN_OTHER);
      }
      default -> scalar();
    }
  }

  private void array(int elements) throws Declined {
    if (++depth > MAX_DEPTH) {
      throw DECLINED;
    }
    p++; // '['
    skipSpace();
    if (peek() == ']') {
      p++;
    } else {
      while (true) {
        byte b = peek();
        switch (b) {
          case '"' -> string();
          case '{' -> object(elements);
          case '[' -> array(IN_OTHER);
          default -> scalar();
        }
        skipSpace();
        b = peek();
        p++;
        if (b == ']') {
          break;
        }
        if (b != ',') {
          throw DECLINED;
        }
        skipSpace();
      }
    }
    depth--;
  }

  /** A number or a literal, then a byte that may follow a value. */
  private void scalar() throws Declined {
    byte b = peek();
    if (b == 't') {
      literal('t', 'r', 'u', 'e');
    } else if (b == 'n') {
      literal('n', 'u', 'l', 'l');
    } else if (b == 'f') {
      literal('f', 'a', 'l', 's', 'e');
    } else {
      number();
    }
    byte next = peek();
    if (next != ',' && next != '}' && next != ']' && next != ' ' && next != '\t'
        && next != '\n' && next != '\r') {
      throw DECLINED;
    }
  }

  private void literal(char... expected) throws Declined {
    if (end - p < expected.length) {
      throw DECLINED;
    }
    for (char c : expected) {
      if (in[p++] != c) {
        throw DECLINED;
      }
    }
  }

  /** {@code -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?}, short. */
  private void number() throws Declined {
    int from = p;
    if (peek() == '-') {
      p++;
    }
    byte b = peek();
    if (b == '0') {
      p++;
    } else if (b >= '1' && b <= '9') {
      digits();
    } else {
      throw DECLINED;
    }
    if (p < end && in[p] == '.') {
      p++;
      requireDigit();
      digits();
    }
    if (p < end && (in[p] == 'e' || in[p] == 'E')) {
      p++;
      if (p < end && (in[p] == '+' || in[p] == '-')) {
        p++;
      }
      requireDigit();
      digits();
    }
    if (p - from > MAX_NUMBER_BYTES) {
      throw DECLINED;
    }
  }

  private void requireDigit() throws Declined {
    byte b = peek();
    if (b < '0' || b > '9') {
      throw DECLINED;
    }
  }

  private void digits() {
    while (p < end && in[p] >= '0' && in[p] <= '9') {
      p++;
    }
  }

  /** A key: no escapes, valid UTF-8. Returns its length; p is after the closing quote. */
  private int key() throws Declined {
    int from = p + 1;
    long decoded = string();
    int length = p - 1 - from;
    if (decoded != length || length > MAX_KEY_BYTES) {
      throw DECLINED;
    }
    return length;
  }

  /**
   * A string from its opening quote; p ends after the closing one. Returns the UTF-8 length of
   * its decoded text: its byte length less what escapes save.
   */
  private long string() throws Declined {
    int from = ++p;
    long bytes = 0;
    while (true) {
      if (p >= end) {
        throw DECLINED;
      }
      int b = in[p];
      if (b == '"') {
        if (p - from > MAX_STRING_BYTES) {
          throw DECLINED;
        }
        p++;
        return bytes;
      }
      if (b == '\\') {
        if (p + 1 >= end) {
          throw DECLINED;
        }
        switch (in[p + 1]) {
          case '"', '\\', '/', 'b', 'f', 'n', 'r', 't' -> {
            bytes++;
            p += 2;
          }
          default -> throw DECLINED; // \\u (surrogates, NUL) and invalid escapes: the tree
        }
      } else if (b >= 0x20) {
        bytes++;
        p++;
      } else if (b >= 0) {
        throw DECLINED; // an unescaped control byte
      } else {
        int length = utf8Sequence(p);
        bytes += length;
        p += length;
      }
    }
  }

  /** The length of the valid UTF-8 sequence of 2 to 4 bytes at {@code at}, else declines. */
  private int utf8Sequence(int at) throws Declined {
    int b0 = in[at] & 0xff;
    int length;
    int min;
    int lower = 0x80;
    int upper = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      length = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      length = 3;
      if (b0 == 0xE0) {
        lower = 0xA0; // overlong
      } else if (b0 == 0xED) {
        upper = 0x9F; // surrogates
      }
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      length = 4;
      if (b0 == 0xF0) {
        lower = 0x90; // overlong
      } else if (b0 == 0xF4) {
        upper = 0x8F; // past U+10FFFF
      }
    } else {
      throw DECLINED;
    }
    if (at + length > end) {
      throw DECLINED;
    }
    int b1 = in[at + 1] & 0xff;
    if (b1 < lower || b1 > upper) {
      throw DECLINED;
    }
    for (int i = 2; i < length; i++) {
      int b = in[at + i] & 0xff;
      if (b < 0x80 || b > 0xBF) {
        throw DECLINED;
      }
    }
    return length;
  }

  private void remember(int from, int length, int firstKey) throws Declined {
    int hash = 1;
    for (int i = from; i < from + length; i++) {
      hash = 31 * hash + in[i];
    }
    for (int i = firstKey; i < keyCount; i++) {
      if (keys[i] == hash) {
        throw DECLINED; // a duplicate (or a collision): the tree knows which copy wins
      }
    }
    if (keyCount == keys.length) {
      keys = Arrays.copyOf(keys, keys.length * 2);
    }
    keys[keyCount++] = hash;
  }

  private int kind(int from, int length, int where) {
    if (where == IN_MESSAGE) {
      if (is(from, length, MODEL_KEY)) {
        return MODEL;
      }
      if (is(from, length, TYPE_KEY)) {
        return TYPE;
      }
      if (is(from, length, USAGE_KEY)) {
        return USAGE;
      }
      if (is(from, length, CHOICES_KEY)) {
        return CHOICES;
      }
    } else if (where == IN_CHOICE && is(from, length, FINISH_REASON_KEY)) {
      return FINISH_REASON;
    }
    for (byte[] key : TEXT_KEYS) {
      if (is(from, length, key)) {
        return TEXT;
      }
    }
    for (byte[] key : STRUCTURED_KEYS) {
      if (is(from, length, key)) {
        return STRUCTURED;
      }
    }
    return OTHER;
  }

  private boolean is(int from, int length, byte[] key) {
    return length == key.length && Arrays.equals(in, from, from + length, key, 0, length);
  }

  private boolean startsWith(int from, int length, byte[] prefix) {
    return length >= prefix.length
        && Arrays.equals(in, from, from + prefix.length, prefix, 0, prefix.length);
  }

  private byte peek() throws Declined {
    if (p >= end) {
      throw DECLINED;
    }
    return in[p];
  }

  private void skipSpace() {
    while (p < end) {
      byte b = in[p];
      if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
        return;
      }
      p++;
    }
  }

  private static byte[][] bytes(String... names) {
    byte[][] out = new byte[names.length][];
    for (int i = 0; i < names.length; i++) {
      out[i] = names[i].getBytes(StandardCharsets.US_ASCII);
    }
    return out;
  }
}
