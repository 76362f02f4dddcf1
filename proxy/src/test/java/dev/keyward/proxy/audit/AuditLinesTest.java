package dev.keyward.proxy.audit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.keyward.llm.Cost;
import dev.keyward.llm.Usage;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The streamed audit lines are byte for byte what the records encoded as JSON objects gave, so
 * old and new lines chain, read and verify the same.
 */
class AuditLinesTest {

  /** What escaping and UTF-8 treat specially: quotes, controls, non-ASCII, emoji, a lone surrogate. */
  static final String AWKWARD = "a \"quoted\" \\ back\nslash\t\u0001 é 中 😀 \ud800 end";

  static List<AuditEntry> entries() {
    Instant time = Instant.parse("2026-12-02T10:15:30.123456Z");
    return List.of(
        new AuditRecord(time, "req-1", "agent-" + AWKWARD, "acme", "jti-1", "local", "cred", 3,
            "api.example.com", "POST", "/v1/" + AWKWARD, "denied", "no_grant", AWKWARD, "rule",
            "0123456789ab", 403, 0, 10, 20, 1000, null),
        new AuditRecord(time, "req-2", "agent", "acme", "jti", "llm", "cred", 1, "h", "POST", "/p",
            "allowed", "allowed", "", "", "v", 200, 200, 1L << 40, 7, 12,
            new AuditUsage("gpt-5-mini", null, new Usage(18, 200, 3, 4, true, ""),
                Cost.ofNanoUsd(123_456_789L)), "", 0),
        new AuditRecord(time, "req-3", "a", "t", "j", "r", "c", 1, "h", "GET", "/p", "allowed",
            "allowed", "r", null, "v", 200, 200, 1, 2, 3,
            new AuditUsage("m", "conversation", new Usage(1, 2, 0, 0, false, ""), Cost.UNPRICED),
            "primary", 2),
        new AuditRecord(time, "req-4", "a", "t", "j", "r", "c", 1, "h", "GET", "/p", "allowed",
            "allowed", "r", "", "v", 200, 200, 1, 2, 3, null, "through", 0),
        new AttemptRecord(time, "req-5", 2, "agent", AWKWARD, "route", "secondary", "cred", 4,
            "api.example.com", "/v1/chat", "model", "failed", "upstream_timeout", AWKWARD, "", 0,
            -1),
        new AdminRecord(time, "req-6", "operator " + AWKWARD, "admin", "credential.put",
            "cred", "ok", "ok", 201));
  }

  /**
   * The lines of {@link #entries()} at seq 41 on, each with {@code "prev":"p"}, as the build
   * before the streamed lines wrote them ({@code new JsonObject().put("seq", seq)
   * .mergeIn(entry.toJson()).put("prev", prev).encode()}).
   */
  static final List<String> BEFORE = List.of(
      "{\"seq\":41,\"type\":\"request\",\"time\":\"2026-12-02T10:15:30.123456Z\",\"request_"
          + "id\":\"req-1\",\"agent\":\"agent-a \\\"quoted\\\" \\\\ back\\nslash\\t\\u0001 \u00e9"
          + " \u4e2d \ud83d\ude00 \ud800 end\",\"tenant\":\"acme\",\"jti\":\"jti-1\",\"route\":\""
          + "local\",\"credential\":\"cred\",\"credential_version\":3,\"target_host\":\"api.examp"
          + "le.com\",\"method\":\"POST\",\"path\":\"/v1/a \\\"quoted\\\" \\\\ back\\nslash\\t\\u"
          + "0001 \u00e9 \u4e2d \ud83d\ude00 \ud800 end\",\"decision\":\"denied\",\"code\":\"no_g"
          + "rant\",\"reason\":\"a \\\"quoted\\\" \\\\ back\\nslash\\t\\u0001 \u00e9 \u4e2d "
          + "\ud83d\ude00 \ud800 end\",\"rule\":\"rule\",\"policy_version\":\"0123456789ab\",\"st"
          + "atus\":403,\"upstream_status\":0,\"bytes_in\":10,\"bytes_out\":20,\"latency_us\":100"
          + "0,\"prev\":\"p\"}",
      "{\"seq\":42,\"type\":\"request\",\"time\":\"2026-12-02T10:15:30.123456Z\",\"request_"
          + "id\":\"req-2\",\"agent\":\"agent\",\"tenant\":\"acme\",\"jti\":\"jti\",\"route\":\"l"
          + "lm\",\"credential\":\"cred\",\"credential_version\":1,\"target_host\":\"h\",\"method"
          + "\":\"POST\",\"path\":\"/p\",\"decision\":\"allowed\",\"code\":\"allowed\",\"reason\""
          + ":\"\",\"rule\":\"\",\"policy_version\":\"v\",\"status\":200,\"upstream_status\":200,"
          + "\"bytes_in\":1099511627776,\"bytes_out\":7,\"latency_us\":12,\"usage\":{\"input_toke"
          + "ns\":18,\"output_tokens\":200,\"cached_input_tokens\":3,\"reasoning_tokens\":4,\"cos"
          + "t_usd\":0.123456789,\"priced\":true,\"estimated\":true,\"model\":\"gpt-5-mini\",\"ti"
          + "er\":null},\"prev\":\"p\"}",
      "{\"seq\":43,\"type\":\"request\",\"time\":\"2026-12-02T10:15:30.123456Z\",\"request_"
          + "id\":\"req-3\",\"agent\":\"a\",\"tenant\":\"t\",\"jti\":\"j\",\"route\":\"r\",\"cred"
          + "ential\":\"c\",\"credential_version\":1,\"target_host\":\"h\",\"method\":\"GET\",\"p"
          + "ath\":\"/p\",\"decision\":\"allowed\",\"code\":\"allowed\",\"reason\":\"r\",\"rule\""
          + ":null,\"policy_version\":\"v\",\"status\":200,\"upstream_status\":200,\"bytes_in\":1"
          + ",\"bytes_out\":2,\"latency_us\":3,\"usage\":{\"input_tokens\":1,\"output_tokens\":2,"
          + "\"cached_input_tokens\":0,\"reasoning_tokens\":0,\"cost_usd\":null,\"priced\":false,"
          + "\"estimated\":false,\"model\":\"m\",\"tier\":\"conversation\"},\"target\":\"primary"
          + "\",\"attempts\":2,\"prev\":\"p\"}",
      "{\"seq\":44,\"type\":\"request\",\"time\":\"2026-12-02T10:15:30.123456Z\",\"request_"
          + "id\":\"req-4\",\"agent\":\"a\",\"tenant\":\"t\",\"jti\":\"j\",\"route\":\"r\",\"cred"
          + "ential\":\"c\",\"credential_version\":1,\"target_host\":\"h\",\"method\":\"GET\",\"p"
          + "ath\":\"/p\",\"decision\":\"allowed\",\"code\":\"allowed\",\"reason\":\"r\",\"rule\""
          + ":\"\",\"policy_version\":\"v\",\"status\":200,\"upstream_status\":200,\"bytes_in\":1"
          + ",\"bytes_out\":2,\"latency_us\":3,\"target\":\"through\",\"prev\":\"p\"}",
      "{\"seq\":45,\"type\":\"attempt\",\"time\":\"2026-12-02T10:15:30.123456Z\",\"request_"
          + "id\":\"req-5\",\"attempt\":2,\"agent\":\"agent\",\"tenant\":\"a \\\"quoted\\\" \\\\ "
          + "back\\nslash\\t\\u0001 \u00e9 \u4e2d \ud83d\ude00 \ud800 end\",\"route\":\"route\","
          + "\"target\":\"secondary\",\"credential\":\"cred\",\"credential_version\":4,\"target_h"
          + "ost\":\"api.example.com\",\"path\":\"/v1/chat\",\"model\":\"model\",\"outcome\":\"fa"
          + "iled\",\"code\":\"upstream_timeout\",\"reason\":\"a \\\"quoted\\\" \\\\ back\\nslash"
          + "\\t\\u0001 \u00e9 \u4e2d \ud83d\ude00 \ud800 end\",\"rule\":\"\",\"upstream_status\""
          + ":0,\"first_byte_us\":-1,\"prev\":\"p\"}",
      "{\"seq\":46,\"type\":\"admin\",\"time\":\"2026-12-02T10:15:30.123456Z\",\"request_id"
          + "\":\"req-6\",\"operator\":\"operator a \\\"quoted\\\" \\\\ back\\nslash\\t\\u0001 "
          + "\u00e9 \u4e2d \ud83d\ude00 \ud800 end\",\"role\":\"admin\",\"action\":\"credential.p"
          + "ut\",\"resource\":\"cred\",\"outcome\":\"ok\",\"code\":\"ok\",\"status\":201,\"prev"
          + "\":\"p\"}");

  @Test
  void linesAreTheBytesTheJsonObjectsGaveAndAreHashedAsSuch() throws Exception {
    AuditLines lines = new AuditLines();
    List<AuditEntry> entries = entries();
    StringBuilder all = new StringBuilder();
    for (int i = 0; i < entries.size(); i++) {
      byte[] expected = BEFORE.get(i).getBytes(StandardCharsets.UTF_8);
      int start = lines.size();
      String hash = lines.append(41 + i, entries.get(i), "p");
      ByteBuffer bytes = lines.bytes();
      assertArrayEquals(expected, Arrays.copyOfRange(bytes.array(), start, bytes.limit() - 1));
      assertEquals(AuditChain.hash(expected), hash);
      // As printed: a lone surrogate becomes '?' in UTF-8 either way.
      assertEquals(new String(expected, StandardCharsets.UTF_8), lines.lastLine());
      all.append(BEFORE.get(i)).append('\n');
    }
    ByteBuffer bytes = lines.bytes();
    assertArrayEquals(all.toString().getBytes(StandardCharsets.UTF_8),
        Arrays.copyOfRange(bytes.array(), 0, bytes.limit()));
  }

  @Test
  void theObjectOfAnEntryHoldsTheFieldsOfItsLine() {
    for (int i = 0; i < entries().size(); i++) {
      JsonObject line = new JsonObject(BEFORE.get(i));
      line.remove("seq");
      line.remove("prev");
      assertEquals(line, entries().get(i).toJson());
    }
  }

  @Test
  void aClearedBatchStartsEmptyAndTheNextLinesAreUnchanged() throws Exception {
    AuditLines lines = new AuditLines();
    AuditEntry entry = entries().get(0);
    String first = lines.append(0, entry, AuditChain.GENESIS);
    lines.clear();
    assertEquals(0, lines.size());
    assertEquals(first, lines.append(0, entry, AuditChain.GENESIS));
    assertEquals(lines.lastLine().getBytes(StandardCharsets.UTF_8).length + 1, lines.size());
  }
}
