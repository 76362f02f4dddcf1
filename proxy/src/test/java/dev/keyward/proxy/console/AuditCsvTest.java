package dev.keyward.proxy.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

class AuditCsvTest {

  @Test
  void plainTextIsWrittenAsIs() {
    assertEquals("support-bot", AuditCsv.text("support-bot"));
  }

  @Test
  void commasQuotesAndLineBreaksAreQuoted() {
    assertEquals("\"a,b\"", AuditCsv.text("a,b"));
    assertEquals("\"say \"\"hi\"\"\"", AuditCsv.text("say \"hi\""));
    assertEquals("\"two\nlines\"", AuditCsv.text("two\nlines"));
  }

  @Test
  void textThatASpreadsheetWouldEvaluateIsDefused() {
    assertEquals("\"'=HYPERLINK(\"\"http://x\"\")\"", AuditCsv.text("=HYPERLINK(\"http://x\")"));
    assertEquals("'+1", AuditCsv.text("+1"));
    assertEquals("'-2+3", AuditCsv.text("-2+3"));
    assertEquals("'@SUM(A1)", AuditCsv.text("@SUM(A1)"));
    assertEquals("\"'\rcmd\"", AuditCsv.text("\rcmd"));
  }

  @Test
  void aRowHasOneFieldPerHeaderColumnWithNumbersUnquoted() {
    JsonObject entry = new JsonObject().put("seq", 7).put("type", "request")
        .put("time", "2026-12-01T10:00:00Z").put("agent", "bot").put("path", "/v1/a,b")
        .put("status", 200).put("usage", new JsonObject().put("model", "gpt-5-mini")
            .put("cost_usd", 0.0012).put("estimated", false));
    String header = AuditCsv.header();
    String row = AuditCsv.row(entry);
    assertTrue(header.endsWith("\r\n") && row.endsWith("\r\n"));
    String[] names = header.strip().split(",");
    assertEquals("seq", names[0]);
    assertTrue(row.startsWith("7,2026-12-01T10:00:00Z,request,"), row);
    assertTrue(row.contains(",\"/v1/a,b\","), row);
    assertTrue(row.contains(",gpt-5-mini,"), row);
    assertTrue(row.contains(",0.0012,"), row);
    // Every column present: the row has as many separators as the header outside quotes.
    assertEquals(names.length - 1, row.replace("\"/v1/a,b\"", "x").chars()
        .filter(c -> c == ',').count());
  }

  @Test
  void anAttemptRowHasItsTargetNumberModelOutcomeAndFirstByte() {
    JsonObject attempt = new JsonObject().put("seq", 40).put("type", "attempt")
        .put("time", "2026-12-01T10:00:00Z").put("attempt", 1).put("target", "primary")
        .put("credential", "openrouter").put("credential_version", 3).put("model", "gpt-5")
        .put("outcome", "failed").put("code", "upstream_error").put("upstream_status", 503)
        .put("first_byte_us", 412034);
    List<String> names = List.of(AuditCsv.header().strip().split(","));
    List<String> values = List.of(AuditCsv.row(attempt).strip().split(",", -1));
    assertEquals(names.size(), values.size());
    for (String[] expected : new String[][] {{"type", "attempt"}, {"target", "primary"},
        {"attempt", "1"}, {"model", "gpt-5"}, {"outcome", "failed"}, {"first_byte_us", "412034"},
        {"credential_version", "3"}, {"upstream_status", "503"}}) {
      assertEquals(expected[1], values.get(names.indexOf(expected[0])), expected[0]);
    }
  }

  @Test
  void aRequestWithTargetsHasTheTargetThatAnsweredAndItsAttempts() {
    JsonObject request = new JsonObject().put("seq", 41).put("type", "request")
        .put("target", "backup").put("attempts", 2);
    List<String> names = List.of(AuditCsv.header().strip().split(","));
    List<String> values = List.of(AuditCsv.row(request).strip().split(",", -1));
    assertEquals("backup", values.get(names.indexOf("target")));
    assertEquals("2", values.get(names.indexOf("attempts")));
  }
}
