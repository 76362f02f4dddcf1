package dev.keyward.proxy.audit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;

/**
 * Turns audit entries into chained lines, one batch at a time, on the audit writer thread: each
 * line is streamed by one reused Jackson generator into reused buffers and hashed by one reused
 * digest. The bytes are exactly those of {@code {"seq":…, <the entry's fields>, "prev":…}} encoded
 * by Vert.x's {@link JsonObject#encode()} (same factory defaults, same writer-based generator,
 * then UTF-8 as {@link String#getBytes} does it), so a line reads and verifies as before. Not
 * thread-safe: the writer's own.
 */
final class AuditLines {

  private static final JsonFactory JSON = new JsonFactory();
  private static final HexFormat HEX = HexFormat.of();

  private final Chars chars = new Chars();
  private final CharsetEncoder utf8 = StandardCharsets.UTF_8.newEncoder()
      .onMalformedInput(CodingErrorAction.REPLACE)
      .onUnmappableCharacter(CodingErrorAction.REPLACE);
  private final MessageDigest sha256;
  private JsonGenerator json;
  private ByteBuffer batch = ByteBuffer.allocate(64 * 1024);
  private int lineStart;

  AuditLines() {
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }

  /** Starts a new batch: what {@link #bytes()} holds is dropped. */
  void clear() {
    batch.clear();
  }

  /**
   * Appends the line of {@code entry} at {@code seq}, chained to {@code prev}, and its newline;
   * returns the line's hash (of its bytes without the newline).
   */
  String append(long seq, AuditEntry entry, String prev) throws IOException {
    chars.reset();
    JsonGenerator out = generator();
    try {
      out.writeStartObject();
      out.writeNumberField("seq", seq);
      entry.writeFields(out);
      out.writeStringField("prev", prev);
      out.writeEndObject();
      out.flush();
    } catch (IOException | RuntimeException e) {
      json = null; // its state is unknown: the next line gets a new one
      throw e;
    }
    ensure(chars.size * 3 + 1);
    lineStart = batch.position();
    utf8.reset();
    utf8.encode(CharBuffer.wrap(chars.buffer, 0, chars.size), batch, true);
    utf8.flush(batch);
    sha256.update(batch.array(), lineStart, batch.position() - lineStart);
    String hash = HEX.formatHex(sha256.digest());
    batch.put((byte) '\n');
    return hash;
  }

  /** The last line appended, without its newline (for stdout). */
  String lastLine() {
    return new String(batch.array(), lineStart, batch.position() - 1 - lineStart,
        StandardCharsets.UTF_8);
  }

  /** The lines appended since {@link #clear()}, each ending with a newline. */
  ByteBuffer bytes() {
    return ByteBuffer.wrap(batch.array(), 0, batch.position());
  }

  /** How many bytes the lines appended since {@link #clear()} take. */
  int size() {
    return batch.position();
  }

  private JsonGenerator generator() throws IOException {
    if (json == null) {
      json = JSON.createGenerator(chars);
      json.setRootValueSeparator(null); // one object per line, and the lines are taken apart
    }
    return json;
  }

  private void ensure(int more) {
    if (batch.remaining() < more) {
      ByteBuffer larger = ByteBuffer.allocate(Math.max(batch.capacity() * 2,
          batch.position() + more));
      larger.put(batch.array(), 0, batch.position());
      batch = larger;
    }
  }

  /**
   * Writes {@code fields} as the current object's fields, each value as {@link JsonObject#encode()}
   * writes it: the generic way, for entries that do not write their own.
   */
  static void writeFields(JsonGenerator out, JsonObject fields) throws IOException {
    for (Map.Entry<String, Object> field : fields) {
      out.writeFieldName(field.getKey());
      Object value = field.getValue();
      if (value == null) {
        out.writeNull();
      } else if (value instanceof String text) {
        out.writeString(text);
      } else if (value instanceof Integer number) {
        out.writeNumber(number);
      } else if (value instanceof Long number) {
        out.writeNumber(number);
      } else if (value instanceof Boolean flag) {
        out.writeBoolean(flag);
      } else {
        out.writeRawValue(Json.encode(value));
      }
    }
  }

  /** What {@link AuditEntry#writeFields} writes, as an object (off the writer's path). */
  static JsonObject toJson(AuditEntry entry) {
    Chars text = new Chars();
    try (JsonGenerator out = JSON.createGenerator(text)) {
      out.writeStartObject();
      entry.writeFields(out);
      out.writeEndObject();
    } catch (IOException e) {
      throw new IllegalStateException("cannot write an audit entry in memory", e);
    }
    return new JsonObject(new String(text.buffer, 0, text.size));
  }

  /** A writer into a reused array: no locks, no copies until the line is encoded. */
  private static final class Chars extends Writer {
    char[] buffer = new char[4096];
    int size;

    void reset() {
      size = 0;
    }

    @Override
    public void write(char[] from, int offset, int length) {
      if (size + length > buffer.length) {
        buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, size + length));
      }
      System.arraycopy(from, offset, buffer, size, length);
      size += length;
    }

    @Override
    public void write(String from, int offset, int length) {
      if (size + length > buffer.length) {
        buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, size + length));
      }
      from.getChars(offset, offset + length, buffer, size);
      size += length;
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }
}
