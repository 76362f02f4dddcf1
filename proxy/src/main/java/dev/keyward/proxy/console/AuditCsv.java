package dev.keyward.proxy.console;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.function.Function;

/**
 * Audit entries as CSV (RFC 4180): one header line, one line per entry, CRLF line ends. Agents
 * write paths, model names and reasons, and security teams open the file in a spreadsheet: a text
 * field that starts like a formula ({@code = + - @}, a tab or a carriage return) gets a leading
 * apostrophe so that no spreadsheet evaluates it, and any field with a comma, quote or line break
 * is quoted.
 */
public final class AuditCsv {

  /** A column: its header and how an entry gives its value (null for none). */
  private record Column(String name, Function<JsonObject, Object> read) {}

  private static final List<Column> COLUMNS = List.of(
      field("seq"), field("time"), field("type"), field("request_id"), field("tenant"),
      field("agent"), field("jti"), field("route"), field("credential"),
      field("credential_version"), field("target_host"), field("method"), field("path"),
      field("decision"), field("code"), field("reason"), field("rule"), field("policy_version"),
      field("status"), field("upstream_status"), field("bytes_in"), field("bytes_out"),
      field("latency_us"), new Column("model", AuditFilter::model), usage("tier"),
      usage("input_tokens"), usage("output_tokens"), usage("cached_input_tokens"),
      usage("reasoning_tokens"), usage("cost_usd"), usage("estimated"), field("operator"),
      field("role"), field("action"), field("resource"), field("outcome"), field("target"),
      field("attempts"), field("attempt"), field("first_byte_us"));

  private AuditCsv() {}

  public static String header() {
    StringBuilder line = new StringBuilder();
    for (Column column : COLUMNS) {
      if (line.length() > 0) {
        line.append(',');
      }
      line.append(column.name());
    }
    return line.append("\r\n").toString();
  }

  public static String row(JsonObject entry) {
    StringBuilder line = new StringBuilder();
    boolean first = true;
    for (Column column : COLUMNS) {
      if (!first) {
        line.append(',');
      }
      first = false;
      Object value = column.read().apply(entry);
      if (value instanceof String text) {
        line.append(text(text));
      } else if (value != null) {
        line.append(value); // numbers and booleans, as JSON has them
      }
    }
    return line.append("\r\n").toString();
  }

  /** One text field: defused if it could be read as a formula, quoted if it needs it. */
  static String text(String value) {
    String safe = value;
    if (!safe.isEmpty() && "=+-@\t\r".indexOf(safe.charAt(0)) >= 0) {
      safe = "'" + safe;
    }
    boolean quote = safe.indexOf(',') >= 0 || safe.indexOf('"') >= 0
        || safe.indexOf('\n') >= 0 || safe.indexOf('\r') >= 0;
    return quote ? '"' + safe.replace("\"", "\"\"") + '"' : safe;
  }

  private static Column field(String name) {
    return new Column(name, entry -> entry.getValue(name));
  }

  private static Column usage(String name) {
    return new Column(name.equals("tier") ? name : "usage_" + name,
        entry -> entry.getValue("usage") instanceof JsonObject usage ? usage.getValue(name)
            : null);
  }
}
