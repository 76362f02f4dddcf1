package dev.keyward.proxy.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RedactorTest {

  static final String SECRET = "sk-or-v1-9f8e7d6c5b4a3/21+0abcdef=";
  static final Redactor REDACTOR = Redactor.forSecret(SECRET);

  /** Feeds {@code body} to a fresh stream in the given pieces and returns what comes out. */
  static String run(String body, int... cuts) {
    Redactor.Stream stream = REDACTOR.newStream();
    Buffer out = Buffer.buffer();
    int from = 0;
    for (int cut : cuts) {
      out.appendBuffer(stream.push(Buffer.buffer(body.substring(from, cut))));
      from = cut;
    }
    out.appendBuffer(stream.push(Buffer.buffer(body.substring(from))));
    out.appendBuffer(stream.finish());
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void replacesTheSecretInOneChunk() {
    assertEquals("token=[REDACTED];", run("token=" + SECRET + ";"));
  }

  @Test
  void replacesTheSecretSplitAtEveryPossibleOffset() {
    String body = "data: {\"echo\":\"Bearer " + SECRET + "\"}\n\n";
    String expected = "data: {\"echo\":\"Bearer [REDACTED]\"}\n\n";
    for (int i = 0; i <= body.length(); i++) {
      assertEquals(expected, run(body, i), "split at " + i);
    }
  }

  @Test
  void replacesTheSecretSplitIntoThreePiecesAnywhere() {
    String body = "x" + SECRET + "y";
    for (int i = 0; i <= body.length(); i++) {
      for (int j = i; j <= body.length(); j++) {
        assertEquals("x[REDACTED]y", run(body, i, j), "splits at " + i + ", " + j);
      }
    }
  }

  @Test
  void replacesEveryOccurrenceIncludingBackToBack() {
    assertEquals("[REDACTED][REDACTED] and [REDACTED]", run(SECRET + SECRET + " and " + SECRET));
  }

  @Test
  void replacesThePercentEncodedSecret() {
    String encoded = URLEncoder.encode(SECRET, StandardCharsets.UTF_8);
    assertTrue(!encoded.equals(SECRET));
    assertEquals("q=[REDACTED]", run("q=" + encoded));
  }

  @Test
  void replacesTheSecretInsideBase64AtEveryAlignment() {
    for (String prefix : new String[] {"", "B", "Be", "Bearer ", "Authorization: Bearer "}) {
      byte[] raw = (prefix + SECRET + " tail").getBytes(StandardCharsets.US_ASCII);
      for (Base64.Encoder encoder : new Base64.Encoder[] {Base64.getEncoder(), Base64.getUrlEncoder()}) {
        String encoded = encoder.encodeToString(raw);
        String out = run("{\"b64\":\"" + encoded + "\"}");
        assertTrue(out.contains("[REDACTED]"), prefix + ": " + out);
        for (int offset = 0; offset < 3; offset++) {
          assertFalse(out.contains(Redactor.alignedCore(encoder, SECRET.getBytes(), offset)));
        }
      }
    }
  }

  @Test
  void leavesTextWithoutTheSecretUntouched() {
    String text = "data: {\"choices\":[{\"delta\":{\"content\":\"sk-or-v1 is a prefix\"}}]}\n\n";
    for (int i = 0; i <= text.length(); i++) {
      assertEquals(text, run(text, i));
    }
  }

  @Test
  void holdsBackNoMoreThanOnePatternLengthBetweenChunks() {
    Redactor.Stream stream = REDACTOR.newStream();
    String body = ("0123456789abcdef-" + SECRET.substring(0, 20)).repeat(2000);
    long emitted = 0;
    for (int i = 0; i < body.length(); i++) {
      emitted += stream.push(Buffer.buffer(body.substring(i, i + 1))).length();
      assertTrue(i + 1 - emitted < 64, "held back " + (i + 1 - emitted) + " bytes");
    }
    emitted += stream.finish().length();
    assertEquals(body.length(), emitted);
  }

  @Test
  void aHeaderValueEndingInTheSecretIsRedactedWhateverItsLength() {
    assertEquals("[REDACTED]", REDACTOR.redact(SECRET));
    assertEquals("x[REDACTED]", REDACTOR.redact("x" + SECRET));
    String shorter = SECRET.substring(1);
    assertSame(shorter, REDACTOR.redact(shorter));
  }

  @Test
  void redactsHeaderValuesAndLeavesOthersAsTheyAre() {
    assertEquals("Bearer [REDACTED]", REDACTOR.redact("Bearer " + SECRET));
    String untouched = "application/json";
    assertSame(untouched, REDACTOR.redact(untouched));
  }

  @Test
  void noneRedactsNothing() {
    Buffer chunk = Buffer.buffer(SECRET);
    assertSame(chunk, Redactor.NONE.newStream().push(chunk));
  }

  @Test
  void passesAChunkWhereNoPatternCanStartOnWithoutCopyingIt() {
    Redactor.Stream stream = REDACTOR.newStream();
    Buffer chunk = Buffer.buffer("data: {\"choices\":[{\"delta\":{\"content\":\"sk-or\"}}]}\n\n");
    assertSame(chunk, stream.push(chunk));
    assertEquals(0, stream.finish().length());
  }

  @Test
  void streamedRedactionIsTheWholeBodysAtRandomSplitsNearMatchesAndEncodings() {
    String base64 = Base64.getEncoder().encodeToString(("Bearer " + SECRET).getBytes(
        StandardCharsets.US_ASCII));
    String[] pieces = {SECRET, URLEncoder.encode(SECRET, StandardCharsets.UTF_8), base64,
        SECRET.substring(0, 9), SECRET.substring(0, SECRET.length() - 1), "sk-", "s", "=",
        base64.substring(0, 12), "data: {\"content\":\"", "\"}\n\n", "word ", "aGVsbG8"};
    Random random = new Random(21);
    for (int round = 0; round < 2000; round++) {
      StringBuilder body = new StringBuilder();
      int n = random.nextInt(12);
      for (int i = 0; i < n; i++) {
        body.append(pieces[random.nextInt(pieces.length)]);
      }
      String text = body.toString();
      String expected = REDACTOR.redact(text);
      List<Integer> cuts = new ArrayList<>();
      int from = 0;
      while (from < text.length() && cuts.size() < 6) {
        from += random.nextInt(Math.max(1, text.length() / 3)) + (random.nextBoolean() ? 0 : 1);
        if (from < text.length()) {
          cuts.add(from);
        }
      }
      int[] at = cuts.stream().mapToInt(Integer::intValue).toArray();
      assertEquals(expected, run(text, at), text + " split at " + cuts);
    }
  }
}
