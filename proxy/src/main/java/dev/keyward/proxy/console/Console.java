package dev.keyward.proxy.console;

import dev.keyward.policies.PolicySet;
import dev.keyward.proxy.admin.LocalOperations;
import dev.keyward.proxy.audit.AuditLog;
import dev.keyward.proxy.audit.AuditSink;
import dev.keyward.proxy.budget.BudgetGate;
import dev.keyward.token.TokenVerifier;
import dev.keyward.vault.KvStore;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.function.Supplier;

/**
 * The web console on the admin listener, at {@code /console}: server-rendered pages for security
 * teams (the audit trail, its verification, key access, usage) and operators (credentials, agents
 * and tokens). Users sign in with an operator token; auditors read, operators also change, and
 * every change goes through the same operations as the admin API, audited as the operator. No
 * script runs on any page.
 */
public final class Console {

  public static final String ROOT = "/console";
  static final String STYLESHEET = "/dev/keyward/proxy/console/console.css";

  /** What the console reads and changes. */
  public record Sources(LocalOperations operations, TokenVerifier verifier, AuditSink audit,
      AuditLog.Settings auditSettings, KvStore kv, Supplier<PolicySet> policy,
      BudgetGate budgets) {}

  private final ConsoleRoutes routes;
  private final Sources sources;
  private final Buffer stylesheet;

  public Console(Vertx vertx, Sources sources, Clock clock) {
    this.sources = sources;
    this.routes = new ConsoleRoutes(vertx, new ConsoleSessions(clock), sources.verifier(),
        sources.audit(), new Pages(), clock);
    this.stylesheet = resource(STYLESHEET);
  }

  /** Adds the console's routes to the admin listener's router. */
  public void mount(Router router) {
    router.get(ROOT + "/static/console.css").handler(ctx -> {
      ConsoleRoutes.secure(ctx.response());
      ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "text/css; charset=utf-8")
          .putHeader(HttpHeaders.CACHE_CONTROL, "max-age=3600").end(stylesheet);
    });
    new SignIn(routes).mount(router);
    // Vert.x matches /console and /console/ alike.
    routes.page(router, ROOT, visit -> ConsoleRoutes.Page.redirect(Links.path("audit")));
    new AuditPages(routes, sources.operations(), sources.auditSettings(), sources.kv())
        .mount(router);
    new ReportPage(routes, sources.operations()).mount(router);
    new CredentialPages(routes, sources.operations()).mount(router);
    new AgentPages(routes, sources.operations()).mount(router);
    new UsagePages(routes, sources.operations(), sources.policy(), sources.budgets())
        .mount(router);
    router.route(ROOT + "/*").handler(ctx -> {
      ConsoleRoutes.secure(ctx.response());
      routes.sendStatic(ctx, 404, "Not found", "There is no such console page.");
    });
  }

  private static Buffer resource(String name) {
    try (InputStream in = Console.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is missing from the jar");
      }
      return Buffer.buffer(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
