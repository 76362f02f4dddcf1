package dev.keyward.proxy.console;

import dev.keyward.proxy.admin.LocalOperations;
import dev.keyward.proxy.admin.OperationError;
import dev.keyward.proxy.admin.OperationException;
import dev.keyward.proxy.audit.AuditLog;
import dev.keyward.proxy.audit.AuditVerifier;
import dev.keyward.proxy.audit.ConfiguredLog;
import dev.keyward.proxy.console.ConsoleRoutes.Page;
import dev.keyward.proxy.console.ConsoleRoutes.Visit;
import dev.keyward.vault.KvException;
import dev.keyward.vault.KvStore;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/** The audit trail: filters and pages, one entry's detail, exports, and the verify panel. */
public final class AuditPages {

  /** One line of the trail. */
  public record Row(long seq, String time, String kind, String decision, String decisionCss,
      String code, String who, String tenant, String credential, String what, String model,
      String cost, int status, String href) {}

  /** The trail page. */
  public record TrailView(AuditFilter filter, List<String> problems, List<Row> rows,
      String olderHref, String newerHref, String newestHref, String jsonlHref, String csvHref,
      List<Range> ranges, List<String> decisions) {}

  /** A quick time range. */
  public record Range(String label, String href) {}

  /** A field of one entry. */
  public record Field(String name, String text) {}

  /** A group of fields. */
  public record Section(String title, List<Field> fields) {}

  /** One entry in full. */
  public record EntryView(long seq, String heading, String decision, String decisionCss,
      List<Section> sections, String json, String back) {}

  /** One of the verify panel's checks. */
  public record Check(String name, boolean ok, String detail) {}

  /** A problem the verifier found. */
  public record Problem(String where, String kind, String message) {}

  /** The verify panel. */
  public record VerifyView(boolean ok, String instance, int files, long entries,
      long checkpoints, long lastSeq, long unsealed, long unwitnessed, List<Check> checks,
      List<Problem> problems, List<String> notes, String checkedAt) {}

  private final ConsoleRoutes routes;
  private final LocalOperations operations;
  private final AuditLog.Settings settings;
  private final KvStore kv;

  AuditPages(ConsoleRoutes routes, LocalOperations operations, AuditLog.Settings settings,
      KvStore kv) {
    this.routes = routes;
    this.operations = operations;
    this.settings = settings;
    this.kv = kv;
  }

  void mount(Router router) {
    routes.page(router, Console.ROOT + "/audit", this::trail);
    routes.page(router, Console.ROOT + "/audit/entries/:seq", this::entry);
    routes.page(router, Console.ROOT + "/audit/verify", this::verify);
    routes.download(router, Console.ROOT + "/audit/export.jsonl", "audit.export",
        "application/x-ndjson; charset=utf-8", "keyward-audit.jsonl",
        (visit, out) -> export(visit, entry -> out.add(entry.encode() + "\n")));
    routes.download(router, Console.ROOT + "/audit/export.csv", "audit.export",
        "text/csv; charset=utf-8", "keyward-audit.csv", (visit, out) -> {
          out.add(AuditCsv.header());
          export(visit, entry -> out.add(AuditCsv.row(entry)));
        });
  }

  private Page trail(Visit visit) throws OperationException {
    AuditFilter.Parsed parsed = AuditFilter.parse(visit::param);
    AuditFilter filter = parsed.filter();
    int size = AuditPager.DEFAULT_SIZE;
    AuditPager.Cursor cursor;
    try {
      cursor = AuditPager.cursor(visit.param("before"), visit.param("after"));
    } catch (NumberFormatException e) {
      throw new OperationException(OperationError.INVALID_REQUEST,
          "'before' and 'after' must be sequence numbers");
    }
    AuditPager pager = new AuditPager(filter, cursor, size);
    operations.forEachAuditEntry(filter.from().orElse(Instant.EPOCH), pager::accept);
    AuditPager.Page page = pager.page();
    List<Row> rows = page.entries().stream().map(AuditPages::row).toList();
    Map<String, String> params = filter.toParams();
    String base = Links.path("audit");
    String older = page.olderBefore().isPresent()
        ? Links.query(base, with(params, "before", page.olderBefore().getAsLong())) : null;
    String newer = page.newerAfter().isPresent()
        ? Links.query(base, with(params, "after", page.newerAfter().getAsLong())) : null;
    Instant now = routes.clock().instant();
    List<Range> ranges = new ArrayList<>();
    for (String[] r : new String[][] {{"Last hour", "PT1H"}, {"24 hours", "PT24H"},
        {"7 days", "P7D"}, {"30 days", "P30D"}}) {
      Map<String, String> p = new LinkedHashMap<>(params);
      p.remove("to");
      p.put("from", AuditFilter.formInput(now.minus(Duration.parse(r[1]))
          .truncatedTo(java.time.temporal.ChronoUnit.MINUTES)));
      ranges.add(new Range(r[0], Links.query(base, p)));
    }
    return new Page(parsed.problems().isEmpty() ? 200 : 400, "audit", "Audit trail", "audit",
        new TrailView(filter, parsed.problems(), rows, older, newer,
            cursor instanceof AuditPager.Cursor.Newest ? null : Links.query(base, params),
            Links.query(Links.path("audit", "export.jsonl"), params),
            Links.query(Links.path("audit", "export.csv"), params), ranges,
            AuditFilter.DECISIONS), null);
  }

  private static Map<String, String> with(Map<String, String> params, String name, long value) {
    Map<String, String> copy = new LinkedHashMap<>(params);
    copy.put(name, Long.toString(value));
    return copy;
  }

  static Row row(JsonObject e) {
    long seq = e.getLong("seq", -1L);
    String kind = kind(e);
    boolean admin = kind.equals("admin");
    boolean attempt = kind.equals("attempt");
    String decision = AuditFilter.decision(e);
    String credential = e.getString("credential", "");
    int version = e.getInteger("credential_version", 0);
    JsonObject usage = e.getValue("usage") instanceof JsonObject u ? u : null;
    String cost = usage == null ? "" : usage.getValue("cost_usd") instanceof Number n
        ? Formats.usd(Formats.nanoUsd(n.doubleValue())) : "unpriced";
    String where = e.getString("target_host", "") + e.getString("path", "");
    return new Row(seq, Formats.time(e.getString("time")), kind, decision,
        "d-" + decision, e.getString("code", ""),
        admin ? e.getString("operator", "") : e.getString("agent", ""),
        e.getString("tenant", ""),
        credential.isEmpty() ? "" : version > 0 ? credential + " v" + version : credential,
        admin ? e.getString("action", "") + " " + e.getString("resource", "")
            : attempt ? "attempt " + e.getValue("attempt") + " via " + e.getString("target", "")
                + ": " + where
            : (e.getString("method", "") + " " + where).strip(),
        AuditFilter.model(e), cost,
        e.getInteger(attempt ? "upstream_status" : "status", 0),
        Links.path("audit", "entries", Long.toString(seq)));
  }

  /** {@code admin}, {@code attempt} or {@code request}. */
  private static String kind(JsonObject e) {
    String type = e.getString("type", "");
    return type.equals("admin") || type.equals("attempt") ? type : "request";
  }

  private Page entry(Visit visit) throws OperationException {
    long seq = ConsoleRoutes.number(visit, "seq");
    AtomicReference<JsonObject> found = new AtomicReference<>();
    operations.forEachAuditEntry(Instant.EPOCH, e -> {
      if (e.getLong("seq", -1L) == seq) {
        found.set(e);
      }
    });
    JsonObject e = found.get();
    if (e == null) {
      throw new OperationException(OperationError.NOT_FOUND, "no audit entry with sequence"
          + " number " + seq + " in this instance's log");
    }
    return Page.of("entry", "Audit entry " + seq, "audit", entryView(e));
  }

  static EntryView entryView(JsonObject e) {
    long seq = e.getLong("seq", -1L);
    String kind = kind(e);
    List<Section> sections = new ArrayList<>();
    if (kind.equals("admin")) {
      sections.add(section("Action", e, "action", "resource", "outcome", "code", "status"));
      sections.add(section("Who", e, "operator", "role"));
    } else if (kind.equals("attempt")) {
      sections.add(section("Outcome", e, "outcome", "code", "reason", "rule"));
      sections.add(section("Who", e, "agent", "tenant"));
      List<Field> target = new ArrayList<>(section("", e, "route", "target", "credential")
          .fields());
      target.add(keyVersion(e));
      target.addAll(section("", e, "target_host", "path", "model", "upstream_status").fields());
      long firstByte = e.getLong("first_byte_us", -1L);
      target.add(new Field("first byte", firstByte < 0 ? "—" : Formats.micros(firstByte)));
      sections.add(new Section("Key and target", target));
    } else {
      sections.add(section("Decision", e, "decision", "code", "reason", "rule",
          "policy_version"));
      sections.add(section("Who", e, "agent", "tenant", "jti"));
      List<Field> target = new ArrayList<>(section("Key and target", e, "route", "credential")
          .fields());
      target.add(keyVersion(e));
      if (e.containsKey("attempts")) {
        target.addAll(section("", e, "target", "attempts").fields());
      }
      target.addAll(section("", e, "target_host", "method", "path", "status",
          "upstream_status").fields());
      target.add(new Field("bytes in / out", e.getValue("bytes_in") + " / "
          + e.getValue("bytes_out")));
      target.add(new Field("latency", Formats.micros(e.getLong("latency_us", 0L))));
      sections.add(new Section("Key and target", target));
      if (e.getValue("usage") instanceof JsonObject usage) {
        List<Field> fields = new ArrayList<>();
        fields.add(new Field("model", usage.getString("model", "")));
        fields.add(new Field("tier", usage.getString("tier") == null ? "—"
            : usage.getString("tier")));
        for (String name : List.of("input_tokens", "output_tokens", "cached_input_tokens",
            "reasoning_tokens")) {
          fields.add(new Field(name.replace('_', ' '), String.valueOf(usage.getValue(name))));
        }
        fields.add(new Field("cost", usage.getValue("cost_usd") instanceof Number n
            ? Formats.usd(Formats.nanoUsd(n.doubleValue())) : "unpriced"));
        fields.add(new Field("estimated", String.valueOf(usage.getValue("estimated"))));
        sections.add(new Section("Usage and cost", fields));
      }
    }
    sections.add(kind.equals("attempt")
        ? section("Record", e, "time", "request_id", "attempt", "seq", "prev")
        : section("Record", e, "time", "request_id", "seq", "prev"));
    String decision = AuditFilter.decision(e);
    String heading = switch (kind) {
      case "admin" -> "Admin action ";
      case "attempt" -> "Attempt ";
      default -> "Request ";
    };
    return new EntryView(seq, heading + seq, decision, "d-" + decision, sections,
        e.encodePrettily(), Links.path("audit"));
  }

  private static Field keyVersion(JsonObject e) {
    int version = e.getInteger("credential_version", 0);
    return new Field("key version", version > 0 ? Integer.toString(version) : "—");
  }

  private static Section section(String title, JsonObject e, String... names) {
    List<Field> fields = new ArrayList<>();
    for (String name : names) {
      Object value = e.getValue(name);
      fields.add(new Field(name.replace('_', ' '), value == null || "".equals(value) ? "—"
          : String.valueOf(value)));
    }
    return new Section(title, fields);
  }

  private void export(Visit visit, java.util.function.Consumer<JsonObject> each)
      throws OperationException {
    AuditFilter.Parsed parsed = AuditFilter.parse(visit::param);
    if (!parsed.problems().isEmpty()) {
      throw new OperationException(OperationError.INVALID_REQUEST,
          String.join("; ", parsed.problems()));
    }
    AuditFilter filter = parsed.filter();
    operations.forEachAuditEntry(filter.from().orElse(Instant.EPOCH), e -> {
      if (filter.matches(e)) {
        each.accept(e);
      }
    });
  }

  private Page verify(Visit visit) throws OperationException {
    ConfiguredLog.Verified verified;
    try {
      verified = ConfiguredLog.verify(settings, kv);
    } catch (IllegalStateException e) {
      throw new OperationException(OperationError.NO_AUDIT_FILE, e.getMessage());
    } catch (IOException | KvException | GeneralSecurityException e) {
      throw new OperationException(OperationError.AUDIT_UNREADABLE,
          "cannot verify the audit log: " + e.getMessage());
    }
    AuditVerifier.Result result = verified.result();
    List<Problem> problems = result.problems().stream().map(p -> new Problem(
        p.file() + (p.line() > 0 ? ":" + p.line() : ""),
        p.kind().name().toLowerCase(java.util.Locale.ROOT), p.message())).toList();
    List<Check> checks = List.of(
        check(result, AuditVerifier.Kind.CHAIN, "Hash chain and sequence",
            result.entries() + " entries linked in order, none missing, edited or moved"),
        check(result, AuditVerifier.Kind.SIGNATURES, "Signed checkpoints",
            result.checkpoints() + " checkpoints and every file anchor signed by instance "
                + verified.instance()),
        check(result, AuditVerifier.Kind.WITNESS, "Witnessed tail",
            "the log reaches, unchanged, the head the store witnessed"),
        new Check("Entries outside any checkpoint", true, result.unsealed()
            + " after the last checkpoint (chained, not yet signed); " + result.unwitnessed()
            + " lines after the witnessed head"));
    return Page.of("verify", "Verify the audit log", "audit", new VerifyView(result.ok(),
        verified.instance(), verified.files().size(), result.entries(), result.checkpoints(),
        result.lastSeq(), result.unsealed(), result.unwitnessed(), checks, problems,
        result.notes(), Formats.time(routes.clock().instant())));
  }

  private static Check check(AuditVerifier.Result result, AuditVerifier.Kind kind, String name,
      String whenOk) {
    long failures = result.problems().stream().filter(p -> p.kind() == kind).count();
    return new Check(name, failures == 0, failures == 0 ? whenOk
        : failures + (failures == 1 ? " problem" : " problems") + ": see below");
  }
}
