package dev.keyward.proxy.budget;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/**
 * The journal's lines: one per change (a reservation, a settle, leases that ended), holding the
 * {@link CounterTable} calls that made it, so a line costs the same however many calls are in
 * flight. A line is a JSON array: its sequence number, then each call's name and arguments:
 *
 * <pre>
 * [41,"o","k2f-1a",1764990000000,"h","acme:tenant:acme:month-2026-12",1767312000000,"k2f-1a",50000,1764986100000,"c","acme:tenant:acme:rpm-2026-12-01T10:15Z",1764990060000,1]
 * </pre>
 *
 * <table>
 *   <caption>calls</caption>
 *   <tr><td>{@code o id forgetAt}</td><td>{@link CounterTable#open}</td></tr>
 *   <tr><td>{@code x id}</td><td>{@link CounterTable#close}</td></tr>
 *   <tr><td>{@code h key expiresAt id amount leaseEnd}</td><td>{@link CounterTable#hold}</td></tr>
 *   <tr><td>{@code c key expiresAt delta}</td><td>{@link CounterTable#count}</td></tr>
 *   <tr><td>{@code m key id reserved actual}</td><td>{@link CounterTable#settleMoney}</td></tr>
 *   <tr><td>{@code a key delta}</td><td>{@link CounterTable#adjust}</td></tr>
 *   <tr><td>{@code e key id}</td><td>{@link CounterTable#expire}</td></tr>
 * </table>
 *
 * <p>The sequence number lets a replay skip the lines a snapshot already holds (a crash between
 * writing the snapshot and emptying the journal). Lines of the first format (a JSON array of
 * whole counters) start with {@code [{}; they are read by {@link LedgerFiles}.
 */
final class JournalLine {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final StringBuilder out;
  private boolean started;

  /** Appends lines to {@code out}. */
  JournalLine(StringBuilder out) {
    this.out = out;
  }

  /** Starts a call; the line itself starts with {@code seq} on its first call. */
  JournalLine call(String name, long seq) {
    if (!started) {
      out.append('[').append(seq);
      started = true;
    }
    out.append(",\"").append(name).append('"');
    return this;
  }

  JournalLine arg(long value) {
    out.append(',').append(value);
    return this;
  }

  JournalLine arg(String value) {
    out.append(",\"");
    for (int i = 0; i < value.length(); i++) {
      char ch = value.charAt(i);
      if (ch == '"' || ch == '\\') {
        out.append('\\').append(ch);
      } else if (ch < 0x20) {
        out.append(String.format("\\u%04x", (int) ch));
      } else {
        out.append(ch);
      }
    }
    out.append('"');
    return this;
  }

  /**
   * Ends the line when a call was made.
   *
   * @return true when a line was written
   */
  boolean end() {
    if (!started) {
      return false;
    }
    out.append("]\n");
    started = false;
    return true;
  }

  /** True for a line of this format (its first element is a number). */
  static boolean isDelta(String line) {
    return line.length() > 1 && line.charAt(0) == '[' && (Character.isDigit(line.charAt(1)));
  }

  /**
   * Applies one line to {@code table} unless a snapshot of sequence {@code after} holds it.
   *
   * @return the line's sequence number
   * @throws IOException when the line is not a whole line of this format
   */
  static long replay(String line, long after, CounterTable table) throws IOException {
    JsonNode calls = JSON.readTree(line);
    if (calls == null || !calls.isArray() || calls.size() == 0 || !calls.get(0).canConvertToLong()) {
      throw new IOException("not a journal line");
    }
    long seq = calls.get(0).asLong();
    if (seq <= after) {
      return seq;
    }
    int i = 1;
    try {
      while (i < calls.size()) {
        String name = calls.get(i++).textValue();
        switch (name == null ? "" : name) {
          case "o" -> table.open(text(calls, i++), number(calls, i++));
          case "x" -> table.close(text(calls, i++));
          case "h" -> table.hold(text(calls, i++), number(calls, i++), text(calls, i++),
              number(calls, i++), number(calls, i++));
          case "c" -> table.count(text(calls, i++), number(calls, i++), number(calls, i++));
          case "m" -> table.settleMoney(text(calls, i++), text(calls, i++), number(calls, i++),
              number(calls, i++));
          case "a" -> table.adjust(text(calls, i++), number(calls, i++));
          case "e" -> table.expire(text(calls, i++), text(calls, i++));
          default -> throw new IOException("unknown call " + name + " at element " + (i - 1));
        }
      }
    } catch (IndexOutOfBoundsException e) {
      throw new IOException("a call lacks arguments", e);
    }
    return seq;
  }

  private static String text(JsonNode calls, int i) throws IOException {
    JsonNode node = calls.get(i);
    if (node == null || !node.isTextual()) {
      throw new IOException("element " + i + " should be a string");
    }
    return node.textValue();
  }

  private static long number(JsonNode calls, int i) throws IOException {
    JsonNode node = calls.get(i);
    if (node == null || !node.canConvertToLong() || !node.isIntegralNumber()) {
      throw new IOException("element " + i + " should be an integer");
    }
    return node.longValue();
  }
}
