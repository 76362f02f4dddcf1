package dev.keyward.proxy.console;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The audit trail's filters, as the console's form sends them: a time range (UTC), and exact
 * matches on tenant, agent, credential, decision, code and model. Empty fields match everything.
 * An entry is a request record, an attempt record (one target of a route with targets) or an admin
 * record; the decision filter matches a request's {@code decision} and an attempt's or admin
 * record's {@code outcome}, and the type filter picks one kind.
 *
 * @param from entries at or after this instant
 * @param to entries before this instant
 */
public record AuditFilter(Optional<Instant> from, Optional<Instant> to, String type,
    String tenant, String agent, String credential, String decision, String code, String model) {

  /** The query parameters the filter reads and writes, in the order of the form. */
  public static final List<String> FIELDS = List.of("from", "to", "type", "tenant", "agent",
      "credential", "decision", "code", "model");
  public static final List<String> TYPES = List.of("request", "attempt", "admin");
  public static final List<String> DECISIONS =
      List.of("allowed", "denied", "would_deny", "failed", "served", "skipped", "ok");
  /** Longer filter values cannot match anything Keyward writes. */
  static final int MAX_VALUE = 256;

  public static final AuditFilter NONE = new AuditFilter(Optional.empty(), Optional.empty(), "",
      "", "", "", "", "", "");

  public AuditFilter {
    type = clean(type);
    tenant = clean(tenant);
    agent = clean(agent);
    credential = clean(credential);
    decision = clean(decision);
    code = clean(code);
    model = clean(model);
  }

  /** The filter and what was wrong with the parameters (nothing when the list is empty). */
  public record Parsed(AuditFilter filter, List<String> problems) {}

  /**
   * Reads the filter from query parameters. A time is {@code 2026-12-01T10:00} (UTC, as an HTML
   * {@code datetime-local} input sends it, seconds optional) or an ISO-8601 instant.
   */
  public static Parsed parse(Function<String, String> param) {
    List<String> problems = new ArrayList<>();
    Optional<Instant> from = time(param.apply("from"), "from", problems);
    Optional<Instant> to = time(param.apply("to"), "to", problems);
    if (from.isPresent() && to.isPresent() && !from.get().isBefore(to.get())) {
      problems.add("'from' must be before 'to'");
    }
    String type = value(param, "type", problems);
    if (!type.isEmpty() && !TYPES.contains(type)) {
      problems.add("'type' must be one of " + String.join(", ", TYPES));
      type = "";
    }
    String decision = value(param, "decision", problems);
    if (!decision.isEmpty() && !DECISIONS.contains(decision)) {
      problems.add("'decision' must be one of " + String.join(", ", DECISIONS));
      decision = "";
    }
    return new Parsed(new AuditFilter(from, to, type, value(param, "tenant", problems),
        value(param, "agent", problems), value(param, "credential", problems), decision,
        value(param, "code", problems), value(param, "model", problems)), problems);
  }

  /** Whether {@code entry} (a record as the audit file holds it) matches. */
  public boolean matches(JsonObject entry) {
    String kind = entry.getString("type", "");
    if (!type.isEmpty() && !type.equals(kind)) {
      return false;
    }
    if (from.isPresent() || to.isPresent()) {
      Instant time = instant(entry.getString("time"));
      if (time == null || from.map(time::isBefore).orElse(false)
          || to.map(t -> !time.isBefore(t)).orElse(false)) {
        return false;
      }
    }
    return same(tenant, entry.getString("tenant"))
        && same(agent, entry.getString("agent"))
        && same(credential, entry.getString("credential"))
        && same(decision, decision(entry))
        && same(code, entry.getString("code"))
        && same(model, model(entry));
  }

  /** Whether only the time range is set (or nothing): every entry in it matches. */
  public boolean isEmpty() {
    return type.isEmpty() && tenant.isEmpty() && agent.isEmpty() && credential.isEmpty()
        && decision.isEmpty() && code.isEmpty() && model.isEmpty();
  }

  /** The filter as query parameters (empty ones left out), for links that keep it. */
  public Map<String, String> toParams() {
    Map<String, String> params = new LinkedHashMap<>();
    from.ifPresent(t -> params.put("from", formInput(t)));
    to.ifPresent(t -> params.put("to", formInput(t)));
    put(params, "type", type);
    put(params, "tenant", tenant);
    put(params, "agent", agent);
    put(params, "credential", credential);
    put(params, "decision", decision);
    put(params, "code", code);
    put(params, "model", model);
    return params;
  }

  /** A request's {@code decision}; an attempt's or admin record's {@code outcome}. */
  static String decision(JsonObject entry) {
    String type = entry.getString("type", "");
    return entry.getString(type.equals("admin") || type.equals("attempt") ? "outcome"
        : "decision", "");
  }

  /** The model of an entry with usage, or of an attempt; empty otherwise. */
  static String model(JsonObject entry) {
    if (entry.getValue("usage") instanceof JsonObject usage) {
      return usage.getString("model", "");
    }
    return "attempt".equals(entry.getString("type")) ? entry.getString("model", "") : "";
  }

  /** An instant as a {@code datetime-local} input shows it, in UTC. */
  public static String formInput(Instant time) {
    LocalDateTime local = LocalDateTime.ofInstant(time, ZoneOffset.UTC);
    return local.getSecond() == 0 && local.getNano() == 0
        ? local.toString().substring(0, 16) : local.withNano(0).toString();
  }

  private static boolean same(String wanted, String actual) {
    return wanted.isEmpty() || wanted.equals(actual);
  }

  private static Instant instant(String text) {
    try {
      return text == null ? null : Instant.parse(text);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static Optional<Instant> time(String text, String name, List<String> problems) {
    if (text == null || text.isBlank()) {
      return Optional.empty();
    }
    String value = text.trim();
    try {
      return Optional.of(value.endsWith("Z") || value.matches(".*[+-]\\d\\d:\\d\\d$")
          ? java.time.OffsetDateTime.parse(value).toInstant()
          : LocalDateTime.parse(value).toInstant(ZoneOffset.UTC));
    } catch (DateTimeParseException e) {
      problems.add("'" + name + "' must be a time such as 2026-12-01T10:00 (UTC)");
      return Optional.empty();
    }
  }

  private static String value(Function<String, String> param, String name,
      List<String> problems) {
    String value = clean(param.apply(name));
    if (value.length() > MAX_VALUE) {
      problems.add("'" + name + "' is longer than " + MAX_VALUE + " characters");
      return "";
    }
    return value;
  }

  private static void put(Map<String, String> params, String name, String value) {
    if (!value.isEmpty()) {
      params.put(name, value);
    }
  }

  private static String clean(String value) {
    return value == null ? "" : value.strip();
  }
}
