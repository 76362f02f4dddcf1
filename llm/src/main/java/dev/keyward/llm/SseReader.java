package dev.keyward.llm;

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

    /** Bytes that belong to no dispatched event; forward them to keep the stream intact. */
    default void onBytes(byte[] raw) {}

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

  private final StringBuilder data = new StringBuilder();
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
          handler.onBytes(new byte[] {'\n'});
        } else {
          append(chunk, i, 1);
          lineStart = blockLength;
        }
        i++;
        continue;
      }
      afterCr = false;
      int lineEnd = i;
      while (lineEnd < end && chunk[lineEnd] != '\n' && chunk[lineEnd] != '\r') {
        lineEnd++;
      }
      int terminator = 0;
      if (lineEnd < end) {
        boolean crlf = chunk[lineEnd] == '\r' && lineEnd + 1 < end && chunk[lineEnd + 1] == '\n';
        terminator = crlf ? 2 : 1;
      }
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

  /** The stream ended. A partial event is not dispatched (WHATWG); its bytes go to onBytes. */
  public void end() {
    if (blockLength > 0) {
      handler.onBytes(Arrays.copyOf(block, blockLength));
    }
    blockLength = 0;
    lineStart = 0;
    skipping = false;
    data.setLength(0);
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
    int length = blockLength - terminator - from;
    if (firstLine) {
      firstLine = false;
      if (length >= 3 && (block[from] & 0xff) == 0xEF && (block[from + 1] & 0xff) == 0xBB
          && (block[from + 2] & 0xff) == 0xBF) {
        from += 3;
        length -= 3;
      }
    }
    lineStart = blockLength;
    if (length == 0) {
      dispatch();
    } else if (block[from] != ':') {
      field(new String(block, from, length, StandardCharsets.UTF_8));
    }
  }

  private void field(String line) {
    int colon = line.indexOf(':');
    String name = colon < 0 ? line : line.substring(0, colon);
    String value = "";
    if (colon >= 0) {
      boolean space = colon + 1 < line.length() && line.charAt(colon + 1) == ' ';
      value = line.substring(space ? colon + 2 : colon + 1);
    }
    switch (name) {
      case "event" -> eventType = value;
      case "data" -> data.append(value).append('\n');
      case "id" -> {
        if (value.indexOf('\0') < 0) {
          lastEventId = value;
        }
      }
      case "retry" -> {
        if (!value.isEmpty() && value.length() < 19
            && value.chars().allMatch(c -> c >= '0' && c <= '9')) {
          retry = Long.parseLong(value);
        }
      }
      default -> { }
    }
  }

  private void dispatch() {
    byte[] raw = Arrays.copyOf(block, blockLength);
    blockLength = 0;
    lineStart = 0;
    if (block.length > RETAINED_BUFFER_BYTES) {
      block = new byte[INITIAL_BUFFER_BYTES];
    }
    if (data.length() == 0) {
      eventType = "";
      handler.onBytes(raw);
      return;
    }
    data.setLength(data.length() - 1);
    SseEvent event = new SseEvent(eventType.isEmpty() ? "message" : eventType, data.toString(),
        lastEventId, retry, raw);
    data.setLength(0);
    eventType = "";
    handler.onEvent(event);
  }

  /** Hands out what is held of an oversized event and starts passing its bytes through. */
  private void startSkipping(byte[] chunk, int from, int lineEnd) {
    byte[] held = new byte[blockLength + (lineEnd - from)];
    System.arraycopy(block, 0, held, 0, blockLength);
    System.arraycopy(chunk, from, held, blockLength, lineEnd - from);
    skippedLineHasContent = blockLength > lineStart || lineEnd > from;
    blockLength = 0;
    lineStart = 0;
    data.setLength(0);
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
    handler.onBytes(Arrays.copyOfRange(chunk, from, i));
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
