package dev.keyward.proxy.console;

import dev.keyward.proxy.admin.LocalOperations;
import dev.keyward.proxy.admin.OperationException;
import dev.keyward.proxy.console.ConsoleRoutes.Page;
import dev.keyward.proxy.console.ConsoleRoutes.Visit;
import io.vertx.ext.web.Router;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The key-access report: per credential, which agents used which key version, and denials. */
public final class ReportPage {

  /** The report page. */
  public record View(String since, String from, List<Periods.Choice> periods,
      List<KeyAccessReport.CredentialAccess> credentials, long withoutCredential) {

    public String time(Instant time) {
      return Formats.time(time);
    }

    /** A link to the audit trail filtered to one credential (and agent), over the same period. */
    public String trail(String credential, String agent, String decision) {
      Map<String, String> params = new LinkedHashMap<>();
      params.put("from", from);
      params.put("credential", credential);
      if (!agent.isEmpty()) {
        params.put("agent", agent);
      }
      if (!decision.isEmpty()) {
        params.put("decision", decision);
      }
      return Links.query(Links.path("audit"), params);
    }
  }

  private final ConsoleRoutes routes;
  private final LocalOperations operations;

  ReportPage(ConsoleRoutes routes, LocalOperations operations) {
    this.routes = routes;
    this.operations = operations;
  }

  void mount(Router router) {
    routes.page(router, Console.ROOT + "/report", this::report);
  }

  private Page report(Visit visit) throws OperationException {
    String since = Periods.chosen(visit.param("since"), "7d");
    Instant from = routes.clock().instant().minus(Periods.ALL.get(since));
    KeyAccessReport report = new KeyAccessReport();
    operations.forEachAuditEntry(from, report::accept);
    return Page.of("report", "Key access", "report", new View(since,
        AuditFilter.formInput(from.truncatedTo(java.time.temporal.ChronoUnit.MINUTES)),
        Periods.choices(Links.path("report"), since), report.credentials(),
        report.withoutCredential()));
  }
}
