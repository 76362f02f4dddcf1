package dev.keyward.llm;

import static dev.keyward.llm.Fixtures.utf8;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SseReaderTest {

  /** Records events and every byte handed back, in order. */
  static final class Recorder implements SseReader.Handler {
    final List<SseEvent> events = new ArrayList<>();
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    int oversized;

    @Override
    public void onEvent(SseEvent event) {
      events.add(event);
      out.writeBytes(event.raw());
    }

    @Override
    public void onBytes(byte[] raw) {
      out.writeBytes(raw);
    }

    @Override
    public void onOversizedEvent() {
      oversized++;
    }

    List<String> summary() {
      List<String> lines = new ArrayList<>();
      for (SseEvent e : events) {
        lines.add(e.type() + "|" + e.data() + "|" + e.id() + "|" + e.retry());
      }
      return lines;
    }
  }

  private static Recorder read(byte[] stream, int... splits) {
    Recorder recorder = new Recorder();
    SseReader reader = new SseReader(recorder);
    int from = 0;
    for (int split : splits) {
      reader.feed(stream, from, split - from);
      from = split;
    }
    reader.feed(stream, from, stream.length - from);
    reader.end();
    return recorder;
  }

  private static Recorder read(String stream) {
    return read(utf8(stream));
  }

  private static final String MIXED = "\uFEFF: keep-alive\r\n\r\n"
      + "event: message_start\r\ndata: {\"a\":1}\r\nid: 7\r\n\r\n"
      + "data: line one\rdata: line two\r\r"
      + ": comment inside\ndata:no space\ndata:  two spaces\nretry: 1500\n\n"
      + "event: ping\n\n"
      + "data\n\n"
      + "data: tail without blank line";

  private static final List<String> MIXED_EVENTS = List.of(
      "message_start|{\"a\":1}|7|-1",
      "message|line one\nline two|7|-1",
      "message|no space\n two spaces|7|1500",
      "message||7|1500");

  @Test
  void dispatchesAnEventAtTheBlankLine() {
    Recorder r = read("data: hello\n\n");
    assertEquals(List.of("message|hello||-1"), r.summary());
  }

  @Test
  void joinsMultiLineDataWithLineFeeds() {
    assertEquals(List.of("message|a\nb\n||-1"), read("data: a\ndata: b\ndata\n\n").summary());
  }

  @Test
  void lfCrAndCrlfLineEndsReadTheSame() {
    List<String> expected = List.of("update|x\ny|1|-1");
    assertEquals(expected, read("event: update\nid: 1\ndata: x\ndata: y\n\n").summary());
    assertEquals(expected, read("event: update\rid: 1\rdata: x\rdata: y\r\r").summary());
    assertEquals(expected,
        read("event: update\r\nid: 1\r\ndata: x\r\ndata: y\r\n\r\n").summary());
  }

  @Test
  void crAtAChunkEndAndLfAtTheNextChunkStartAreOneLineEnd() {
    byte[] stream = utf8("data: a\r\n\r\ndata: b\r\n\r\n");
    Recorder r = read(stream, 8, 10);
    assertEquals(List.of("message|a||-1", "message|b||-1"), r.summary());
    assertArrayEquals(stream, r.out.toByteArray());
  }

  @Test
  void commentLinesAreIgnoredAndCommentOnlyBlocksDispatchNothing() {
    Recorder r = read(": OPENROUTER PROCESSING\n\n:\n\ndata: x\n: inside\n\n");
    assertEquals(List.of("message|x||-1"), r.summary());
  }

  @Test
  void onlyOneLeadingSpaceIsRemovedFromAValue() {
    assertEquals(List.of("message| x||-1"), read("data:  x\n\n").summary());
  }

  @Test
  void eventTypeDefaultsToMessageAndDoesNotCarryOver() {
    Recorder r = read("event: a\ndata: 1\n\ndata: 2\n\n");
    assertEquals(List.of("a|1||-1", "message|2||-1"), r.summary());
  }

  @Test
  void blockWithoutDataDispatchesNothingAndResetsTheType() {
    assertEquals(List.of("message|x||-1"), read("event: a\n\ndata: x\n\n").summary());
  }

  @Test
  void lastEventIdCarriesOverUntilChangedAndIgnoresNul() {
    Recorder r = read("id: 1\ndata: a\n\ndata: b\n\nid: 2\u0000\ndata: c\n\nid\ndata: d\n\n");
    assertEquals(List.of("message|a|1|-1", "message|b|1|-1", "message|c|1|-1", "message|d||-1"),
        r.summary());
  }

  @Test
  void retryTakesOnlyDigits() {
    Recorder r = read("retry: 10s\ndata: a\n\nretry: 250\ndata: b\n\n");
    assertEquals(List.of("message|a||-1", "message|b||250"), r.summary());
  }

  @Test
  void unknownFieldsAreIgnored() {
    assertEquals(List.of("message|x||-1"), read("foo: bar\ndata: x\nDATA: y\n\n").summary());
  }

  @Test
  void leadingByteOrderMarkIsIgnoredEvenWhenSplit() {
    byte[] stream = utf8("\uFEFFdata: x\n\n");
    for (int split = 1; split < 4; split++) {
      assertEquals(List.of("message|x||-1"), read(stream, split).summary());
    }
  }

  @Test
  void byteOrderMarkAfterTheStartIsPartOfTheFieldName() {
    Recorder r = read("data: a\n\n\uFEFFevent: x\ndata: b\n\n");
    assertEquals(List.of("message|a||-1", "message|b||-1"), r.summary());
  }

  @Test
  void partialEventAtTheEndIsNotDispatchedButItsBytesComeBack() {
    byte[] stream = utf8("data: a\n\ndata: cut mid-ev");
    Recorder r = read(stream);
    assertEquals(List.of("message|a||-1"), r.summary());
    assertArrayEquals(stream, r.out.toByteArray());
  }

  @Test
  void readsAMixedStreamSplitAtEveryBytePosition() {
    byte[] stream = utf8(MIXED);
    for (int split = 0; split <= stream.length; split++) {
      Recorder r = read(stream, split);
      assertEquals(MIXED_EVENTS, r.summary(), "split at " + split);
    }
  }

  @Test
  void rawBytesReassembleTheStreamExactlyAtEverySplit() {
    byte[] stream = utf8(MIXED);
    for (int split = 0; split <= stream.length; split++) {
      assertArrayEquals(stream, read(stream, split).out.toByteArray(), "split at " + split);
    }
  }

  @Test
  void readsAStreamFedOneByteAtATime() {
    byte[] stream = utf8(MIXED);
    int[] splits = new int[stream.length - 1];
    for (int i = 0; i < splits.length; i++) {
      splits[i] = i + 1;
    }
    Recorder r = read(stream, splits);
    assertEquals(MIXED_EVENTS, r.summary());
    assertArrayEquals(stream, r.out.toByteArray());
  }

  @Test
  void eachEventsRawBytesAreExactlyItsOwn() {
    Recorder r = read("data: a\r\n\r\nevent: b\ndata: c\n\n");
    assertEquals("data: a\r\n\r\n", new String(r.events.get(0).raw(), UTF_8));
    assertEquals("event: b\ndata: c\n\n", new String(r.events.get(1).raw(), UTF_8));
  }

  @Test
  void readsAnEventOfOneMebibyte() {
    char[] big = new char[1024 * 1024];
    Arrays.fill(big, 'x');
    String payload = new String(big);
    byte[] stream = utf8("data: " + payload + "\n\ndata: after\n\n");
    Recorder r = read(stream, 100_000, 700_000);
    assertEquals(2, r.events.size());
    assertEquals(payload, r.events.get(0).data());
    assertEquals(0, r.oversized);
    assertArrayEquals(stream, r.out.toByteArray());
  }

  @Test
  void eventOverTheLimitIsSkippedPassedThroughAndReadingResumes() {
    Recorder r = new Recorder();
    SseReader reader = new SseReader(1024, r);
    byte[] stream = utf8("data: small\n\ndata: " + "y".repeat(5000) + "\ndata: more\r\n\r\n"
        + "data: next\n\n");
    for (int i = 0; i < stream.length; i += 333) {
      reader.feed(stream, i, Math.min(333, stream.length - i));
    }
    reader.end();
    assertEquals(List.of("message|small||-1", "message|next||-1"), r.summary());
    assertEquals(1, r.oversized);
    assertArrayEquals(stream, r.out.toByteArray());
  }

  @Test
  void oversizedEventIsNeverHeldWhole() {
    Recorder r = new Recorder();
    SseReader reader = new SseReader(1024, r);
    byte[] chunk = utf8("z".repeat(500));
    reader.feed(utf8("data: "));
    for (int i = 0; i < 100; i++) {
      reader.feed(chunk);
      assertTrue(reader.heldBytes() <= 1024, "held " + reader.heldBytes());
    }
    assertTrue(reader.midEvent());
    assertEquals(6 + 50_000, r.out.size());
    assertEquals(1, r.oversized);
  }

  @Test
  void invalidUtf8IsReplacedNotFatal() {
    byte[] stream = {'d', 'a', 't', 'a', ':', ' ', (byte) 0xC3, (byte) 0x28, '\n', '\n'};
    assertEquals("\uFFFD(", read(stream).events.get(0).data());
  }

  @Test
  void midEventIsFalseBetweenEvents() {
    SseReader reader = new SseReader(new Recorder());
    reader.feed(utf8("data: a\n\n"));
    assertFalse(reader.midEvent());
    reader.feed(utf8("data: a\r\n\r"));
    reader.feed(utf8("\n"));
    assertFalse(reader.midEvent());
    reader.feed(utf8("data: b"));
    assertTrue(reader.midEvent());
  }

  @Test
  void lineEndIsTheFirstCrOrLfInTheRangeWhereverItFallsInAWord() {
    // Bytes next to CR and LF, and with the high bit set, must not be taken for them.
    byte[] alphabet = {'a', '\n', '\r', 0x0B, 0x0C, 0x09, (byte) 0x8A, (byte) 0x8D, 0x00, (byte) 0xFF};
    Random random = new Random(3);
    for (int run = 0; run < 20_000; run++) {
      byte[] a = new byte[random.nextInt(40)];
      for (int i = 0; i < a.length; i++) {
        a[i] = random.nextInt(4) == 0 ? alphabet[random.nextInt(alphabet.length)] : (byte) 'x';
      }
      int from = random.nextInt(a.length + 1);
      int end = from + random.nextInt(a.length - from + 1);
      int expected = from;
      while (expected < end && a[expected] != '\n' && a[expected] != '\r') {
        expected++;
      }
      assertEquals(expected, SseReader.lineEnd(a, from, end), Arrays.toString(a) + " " + from
          + ".." + end);
    }
  }

  @Test
  void tinyLimitIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new SseReader(8, new Recorder()));
  }
}
