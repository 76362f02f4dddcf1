package dev.keyward.llm;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * An incremental reader of a {@code text/event-stream}, after the WHATWG parsing rules (as OkHttp's
 * {@code ServerSentEventReader} follows them): LF, CR and CRLF line ends, also a CR at the end of
 * one chunk and its LF at the start of the next; {@code :} comments; multi-line {@code data:};
 * {@code event:}, {@code id:}, {@code retry:}; one leading byte order mark. Chunks may split the
 * stream anywhere.
 *
 * <p>Every byte fed comes back out exactly once, in order: either as the {@link SseEvent#raw()} of
 * a dispatched event, or through {@link Handler#onBytes} (comment-only blocks, blank lines, the
 * CRLF's LF that arrived after its event, a partial event at the end, and oversized events). A
 * caller that writes both out reproduces the stream byte for byte, and can drop events by not
 * writing them.
 *
 * <p>Memory is bounded by {@code maxEventBytes}: only the event being read is held. An event that
 * grows past the limit is not parsed: what was held of it and the rest of it go to {@link
 * Handler#onBytes} as they arrive, {@link Handler#onOversizedEvent} is called once, and reading
 * resumes after its blank line. Not thread-safe: one reader per stream.
 */
public final class SseReader {

  /** Generous: provider events are a few hundred bytes; a 1 MiB tool-call argument still fits. */
  public static final int DEFAULT_MAX_EVENT_BYTES = 8 * 1024 * 1024;

  private static final int MIN_MAX_EVENT_BYTES = 64;
  private static final int INITIAL_BUFFER_BYTES = 512;
  /** After a large event the buffer shrinks again: many idle streams must not each keep MiBs. */
  private static final int RETAINED_BUFFER_BYTES = 64 * 1024;

  /** Receives what the reader finds, in stream order. */
  public interface Handler {

    /** A complete event. */
    void onEvent(SseEvent event);

    /**
     * A complete event, as the bytes it was read from: valid only during the call. By default it
     * is copied into an {@link SseEvent} for {@link #onEvent}; a handler on the hot path reads the
     * bytes instead, so no String or copy is made per event.
     */
    default void onEvent(Bytes event) {
      onEvent(event.toEvent());
    }

    /** Bytes that belong to no dispatched event; forward them to keep the stream intact. */
    default void onBytes(byte[] raw) {}

    /**
     * As {@link #onBytes(byte[])}, for {@code array[offset..offset+length)}, valid only during the
     * call: the array is the chunk fed or the reader's own. By default the range is copied.
     */
    default void onBytes(byte[] array, int offset, int length) {
      onBytes(Arrays.copyOfRange(array, offset, offset + length));
    }

    /** An event grew past the limit and is skipped unparsed; its bytes still go to onBytes. */
    default void onOversizedEvent() {}
  }

  private final int maxEventBytes;
  private final Handler handler;

  private byte[] block = new byte[INITIAL_BUFFER_BYTES];
  private int blockLength;
  private int lineStart;
  private boolean afterCr;
  private boolean firstLine = true;
  private boolean skipping;
  private boolean skippedLineHasContent;

  /** Where the {@code data:} values of the current event are: offset from its start, length. */
  private int[] dataRanges = new int[4];
  private int dataLines;
  private final Bytes view = new Bytes();
  private String eventType = "";
  private String lastEventId = "";
  private long retry = -1;

  public SseReader(Handler handler) {
    this(DEFAULT_MAX_EVENT_BYTES, handler);
  }

  public SseReader(int maxEventBytes, Handler handler) {
    if (maxEventBytes < MIN_MAX_EVENT_BYTES) {
      throw new IllegalArgumentException("maxEventBytes must be at least " + MIN_MAX_EVENT_BYTES);
    }
    this.maxEventBytes = maxEventBytes;
    this.handler = Objects.requireNonNull(handler, "handler");
  }

  public void feed(byte[] chunk) {
    feed(chunk, 0, chunk.length);
  }

  public void feed(byte[] chunk, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, chunk.length);
    int i = offset;
    int end = offset + length;
    while (i < end) {
      if (skipping) {
        i = skip(chunk, i, end);
        continue;
      }
      if (afterCr && chunk[i] == '\n') {
        afterCr = false;
        if (blockLength == 0) {
          handler.onBytes(chunk, i, 1);
        } else {
          append(chunk, i, 1);
          lineStart = blockLength;
        }
        i++;
        continue;
      }
      afterCr = false;
      if (blockLength == 0) {
        i = readInPlace(chunk, i, end);
        continue;
      }
      int lineEnd = lineEnd(chunk, i, end);
      int terminator = terminator(chunk, lineEnd, end);
      int take = lineEnd - i + terminator;
      if (blockLength + take > maxEventBytes) {
        startSkipping(chunk, i, lineEnd);
        i = lineEnd;
        continue;
      }
      append(chunk, i, take);
      i += take;
      if (terminator > 0) {
        // A CR at the end of the chunk may be followed by the LF of a CRLF in the next one.
        afterCr = terminator == 1 && chunk[lineEnd] == '\r';
        endLine(terminator);
      }
    }
  }

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGHS = 0x8080808080808080L;
  private static final long LFS = ONES * '\n';
  private static final long CRS = ONES * '\r';

  /**
   * Where the line from {@code from} ends: its CR or LF, or {@code end}. Eight bytes at a time: in
   * a word XORed with the byte sought, {@code (x - 0x01..) & ~x & 0x80..} marks the zero bytes,
   * exactly for the lowest one (a borrow only marks bytes above a zero), so the lowest mark of
   * either search is the first line end in the word.
   */
  static int lineEnd(byte[] chunk, int from, int end) {
    int i = from;
    for (; i <= end - Long.BYTES; i += Long.BYTES) {
      long word = (long) LONGS.get(chunk, i);
      long lf = word ^ LFS;
      long cr = word ^ CRS;
      long marks = ((lf - ONES) & ~lf | (cr - ONES) & ~cr) & HIGHS;
      if (marks != 0) {
        return i + (Long.numberOfTrailingZeros(marks) >>> 3);
      }
    }
    while (i < end && chunk[i] != '\n' && chunk[i] != '\r') {
      i++;
    }
    return i;
  }

  /** The length of the line end at {@code lineEnd}: 2 for CRLF, 1 for CR or LF, 0 for none. */
  private static int terminator(byte[] chunk, int lineEnd, int end) {
    if (lineEnd >= end) {
      return 0;
    }
    return chunk[lineEnd] == '\r' && lineEnd + 1 < end && chunk[lineEnd + 1] == '\n' ? 2 : 1;
  }

  /** The stream ended. A partial event is not dispatched (WHATWG); its bytes go to onBytes. */
  public void end() {
    if (blockLength > 0) {
      handler.onBytes(block, 0, blockLength);
    }
    blockLength = 0;
    lineStart = 0;
    skipping = false;
    dataLines = 0;
    eventType = "";
  }

  /** True while part of an event has been read but not its end. */
  public boolean midEvent() {
    return blockLength > 0 || skipping;
  }

  /** Bytes of the current event held in memory; never more than the limit. */
  int heldBytes() {
    return blockLength;
  }

  private void endLine(int terminator) {
    int from = lineStart;
    lineStart = blockLength;
    line(block, from, blockLength - terminator - from, 0, blockLength);
  }

  /**
   * Reads whole events from {@code chunk[from..end)} where they are, without copying them: the
   * path of an event that arrives within one chunk. What is left of a last event the chunk does
   * not finish is copied to the block, and read there from the next chunk on. Call with nothing
   * held; returns where it stopped.
   */
  private int readInPlace(byte[] chunk, int from, int end) {
    int eventStart = from;
    int i = from;
    while (i < end) {
      afterCr = false;
      int lineEnd = lineEnd(chunk, i, end);
      int terminator = terminator(chunk, lineEnd, end);
      int take = lineEnd - i + terminator;
      if (i - eventStart + take > maxEventBytes) {
        append(chunk, eventStart, i - eventStart);
        lineStart = blockLength;
        startSkipping(chunk, i, lineEnd);
        return lineEnd;
      }
      if (terminator == 0) {
        break; // a partial line: held below
      }
      afterCr = terminator == 1 && chunk[lineEnd] == '\r';
      i += take;
      if (line(chunk, i - take, lineEnd - (i - take), eventStart, i)) {
        eventStart = i;
      }
    }
    if (eventStart < end) {
      int partialLine = i - eventStart;
      append(chunk, eventStart, end - eventStart);
      lineStart = partialLine;
    }
    return end;
  }

  /**
   * One line of the event that starts at {@code a[base]}: a field, or the blank line that
   * dispatches the event, whose bytes end at {@code a[eventEnd]}. True when it dispatched.
   */
  private boolean line(byte[] a, int from, int length, int base, int eventEnd) {
    if (firstLine) {
      firstLine = false;
      if (length >= 3 && (a[from] & 0xff) == 0xEF && (a[from + 1] & 0xff) == 0xBB
          && (a[from + 2] & 0xff) == 0xBF) {
        from += 3;
        length -= 3;
      }
    }
    if (length == 0) {
      dispatch(a, base, eventEnd - base);
      return true;
    }
    if (a[from] != ':') {
      field(a, from, length, base);
    }
    return false;
  }

  /**
   * One field line, read on its bytes: the name ends at the first {@code :} (an ASCII byte never
   * occurs inside a multi-byte UTF-8 sequence, so this is where the decoded line's first colon
   * is), and one space after it is not part of the value. Only the values kept become Strings.
   */
  private void field(byte[] a, int from, int length, int base) {
    int end = from + length;
    int colon = from;
    while (colon < end && a[colon] != ':') {
      colon++;
    }
    int valueFrom = colon >= end ? end : colon + 1;
    if (valueFrom < end && a[valueFrom] == ' ') {
      valueFrom++;
    }
    int nameLength = colon - from;
    if (is(a, from, nameLength, DATA)) {
      if (2 * dataLines + 2 > dataRanges.length) {
        dataRanges = Arrays.copyOf(dataRanges, dataRanges.length * 2);
      }
      // Relative to the event's start: the same whether it is read in place or in the block.
      dataRanges[2 * dataLines] = valueFrom - base;
      dataRanges[2 * dataLines + 1] = end - valueFrom;
      dataLines++;
    } else if (is(a, from, nameLength, EVENT)) {
      eventType = new String(a, valueFrom, end - valueFrom, StandardCharsets.UTF_8);
    } else if (is(a, from, nameLength, ID)) {
      String value = new String(a, valueFrom, end - valueFrom, StandardCharsets.UTF_8);
      if (value.indexOf('\0') < 0) {
        lastEventId = value;
      }
    } else if (is(a, from, nameLength, RETRY)) {
      String value = new String(a, valueFrom, end - valueFrom, StandardCharsets.UTF_8);
      if (!value.isEmpty() && value.length() < 19
          && value.chars().allMatch(c -> c >= '0' && c <= '9')) {
        retry = Long.parseLong(value);
      }
    }
  }

  private static final byte[] DATA = {'d', 'a', 't', 'a'};
  private static final byte[] EVENT = {'e', 'v', 'e', 'n', 't'};
  private static final byte[] ID = {'i', 'd'};
  private static final byte[] RETRY = {'r', 'e', 't', 'r', 'y'};

  private static boolean is(byte[] a, int from, int length, byte[] name) {
    return length == name.length && Arrays.equals(a, from, from + length, name, 0, length);
  }

  /** The event at {@code a[base..base+rawLength)} is complete. */
  private void dispatch(byte[] a, int base, int rawLength) {
    blockLength = 0;
    lineStart = 0;
    if (dataLines == 0) {
      eventType = "";
      handler.onBytes(a, base, rawLength);
    } else {
      view.array = a;
      view.base = base;
      view.rawLength = rawLength;
      view.type = eventType.isEmpty() ? "message" : eventType;
      view.lines = dataLines;
      dataLines = 0;
      eventType = "";
      handler.onEvent(view);
      view.array = null;
    }
    if (block.length > RETAINED_BUFFER_BYTES) {
      block = new byte[INITIAL_BUFFER_BYTES];
    }
  }

  /**
   * An event as read: its bytes on the wire and where its data is in them. Valid only during
   * {@link Handler#onEvent(Bytes)}: the reader reuses it and the bytes for the next event.
   */
  public final class Bytes {

    private byte[] array;
    private int base;
    private int rawLength;
    private String type;
    private int lines;

    private Bytes() {}

    /** The {@code event:} field, {@code message} when the event names none. */
    public String type() {
      return type;
    }

    /** Holds the event's bytes, from {@link #rawOffset()}; other bytes may come before and after. */
    public byte[] array() {
      return array;
    }

    /** Where the event starts in {@link #array()}. */
    public int rawOffset() {
      return base;
    }

    /** The length of the event on the wire, up to and including its blank line. */
    public int rawLength() {
      return rawLength;
    }

    /** The number of {@code data:} lines, at least one. */
    public int dataLines() {
      return lines;
    }

    /** Where the value of the {@code i}th data line starts in {@link #array()}. */
    public int dataOffset(int i) {
      return base + dataRanges[2 * Objects.checkIndex(i, lines)];
    }

    /** The length in bytes of the value of the {@code i}th data line. */
    public int dataLength(int i) {
      return dataRanges[2 * Objects.checkIndex(i, lines) + 1];
    }

    /** The data lines joined with {@code \n}, decoded (invalid UTF-8 is replaced). */
    public String data() {
      if (lines == 1) {
        return new String(array, base + dataRanges[0], dataRanges[1], StandardCharsets.UTF_8);
      }
      int size = lines - 1;
      for (int i = 0; i < lines; i++) {
        size += dataRanges[2 * i + 1];
      }
      byte[] joined = new byte[size];
      int at = 0;
      for (int i = 0; i < lines; i++) {
        if (i > 0) {
          joined[at++] = '\n';
        }
        System.arraycopy(array, base + dataRanges[2 * i], joined, at, dataRanges[2 * i + 1]);
        at += dataRanges[2 * i + 1];
      }
      return new String(joined, StandardCharsets.UTF_8);
    }

    /** A copy that outlives the call. */
    public SseEvent toEvent() {
      return new SseEvent(type, data(), lastEventId, retry,
          Arrays.copyOfRange(array, base, base + rawLength));
    }
  }

  /** Hands out what is held of an oversized event and starts passing its bytes through. */
  private void startSkipping(byte[] chunk, int from, int lineEnd) {
    byte[] held = new byte[blockLength + (lineEnd - from)];
    System.arraycopy(block, 0, held, 0, blockLength);
    System.arraycopy(chunk, from, held, blockLength, lineEnd - from);
    skippedLineHasContent = blockLength > lineStart || lineEnd > from;
    blockLength = 0;
    lineStart = 0;
    dataLines = 0;
    eventType = "";
    skipping = true;
    firstLine = false;
    block = new byte[INITIAL_BUFFER_BYTES];
    handler.onOversizedEvent();
    handler.onBytes(held);
  }

  /** Passes bytes of an oversized event through until the blank line that ends it. */
  private int skip(byte[] chunk, int from, int end) {
    int i = from;
    while (i < end && skipping) {
      byte b = chunk[i++];
      if (b == '\n' && afterCr) {
        afterCr = false;
      } else if (b == '\n' || b == '\r') {
        afterCr = b == '\r';
        if (!skippedLineHasContent) {
          skipping = false;
        }
        skippedLineHasContent = false;
      } else {
        afterCr = false;
        skippedLineHasContent = true;
      }
    }
    handler.onBytes(chunk, from, i - from);
    return i;
  }

  private void append(byte[] bytes, int offset, int length) {
    if (blockLength + length > block.length) {
      int size = Math.max(block.length * 2, blockLength + length);
      block = Arrays.copyOf(block, Math.min(size, Math.max(maxEventBytes, blockLength + length)));
    }
    System.arraycopy(bytes, offset, block, blockLength, length);
    blockLength += length;
  }
}
