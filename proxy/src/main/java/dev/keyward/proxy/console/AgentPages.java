package dev.keyward.proxy.console;

import dev.keyward.proxy.admin.LocalOperations;
import dev.keyward.proxy.admin.OperationError;
import dev.keyward.proxy.admin.OperationException;
import dev.keyward.proxy.console.ConsoleRoutes.Done;
import dev.keyward.proxy.console.ConsoleRoutes.Page;
import dev.keyward.proxy.console.ConsoleRoutes.Visit;
import dev.keyward.proxy.console.CredentialPages.ConfirmView;
import dev.keyward.proxy.console.CredentialPages.Hidden;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Agents and their tokens: every registered agent (disable and enable it), and the platform
 * tokens the audit log saw recently (revoke one, or any token by its id). Keyward does not keep
 * the tokens it mints; the audit log is where they show.
 */
public final class AgentPages {

  /** Tokens seen within this window are listed (a platform token lives an hour at most). */
  static final Duration TOKENS_SEEN = Duration.ofHours(24);

  /** A registered agent. */
  public record AgentRow(String id, String tenant, String groups, String createdBy,
      String createdAt, boolean disabled, String disableHref, String enableHref, String trail) {}

  /** A token seen in the audit log. */
  public record TokenRow(String jti, String agent, String tenant, String firstSeen,
      String lastSeen, long requests, boolean revoked, String revokeHref) {}

  /** The page. */
  public record View(List<AgentRow> agents, List<TokenRow> tokens, String revokeAction) {}

  private final ConsoleRoutes routes;
  private final LocalOperations operations;

  AgentPages(ConsoleRoutes routes, LocalOperations operations) {
    this.routes = routes;
    this.operations = operations;
  }

  void mount(Router router) {
    String agent = Console.ROOT + "/agents/:id";
    routes.page(router, Console.ROOT + "/agents", this::agents);
    routes.operatorPage(router, agent + "/disable", visit -> confirm("Disable agent "
        + visit.param("id") + "?", List.of("Its tokens are refused at once (agent_disabled),"
        + " and it cannot exchange its secret for new ones, until it is enabled again."),
        self(visit) + "/disable", "Disable the agent", true, List.of()));
    routes.change(router, agent + "/disable", "agent.disable",
        (visit, form) -> "agent:" + visit.param("id"), v -> Links.path("agents"),
        (visit, form) -> {
          operations.setAgentDisabled(visit.param("id"), true);
          return new Done("Disabled agent " + visit.param("id") + ".", Links.path("agents"));
        });
    routes.operatorPage(router, agent + "/enable", visit -> confirm("Enable agent "
        + visit.param("id") + "?", List.of("Its unexpired tokens work again."),
        self(visit) + "/enable", "Enable the agent", false, List.of()));
    routes.change(router, agent + "/enable", "agent.enable",
        (visit, form) -> "agent:" + visit.param("id"), v -> Links.path("agents"),
        (visit, form) -> {
          operations.setAgentDisabled(visit.param("id"), false);
          return new Done("Enabled agent " + visit.param("id") + ".", Links.path("agents"));
        });
    routes.operatorPage(router, Console.ROOT + "/tokens/revoke", visit -> {
      String jti = visit.param("jti") == null ? "" : visit.param("jti").strip();
      if (jti.isEmpty()) {
        throw new OperationException(OperationError.INVALID_REQUEST, "name the token (jti)");
      }
      return confirm("Revoke token " + jti + "?", List.of("Every request with this token is"
          + " refused from now on (token_revoked); the agent's other tokens keep working."),
          Links.path("tokens", "revoke"), "Revoke the token", true,
          List.of(new Hidden("jti", jti)));
    });
    routes.change(router, Console.ROOT + "/tokens/revoke", "token.revoke",
        (visit, form) -> "jti:" + form.get("jti").strip(), v -> Links.path("agents"),
        (visit, form) -> {
          String jti = form.get("jti").strip();
          operations.revokeToken(jti);
          return new Done("Revoked token " + jti + ".", Links.path("agents"));
        });
  }

  private Page agents(Visit visit) throws OperationException {
    JsonArray registered = operations.listAgents();
    List<AgentRow> agents = new ArrayList<>();
    for (int i = 0; i < registered.size(); i++) {
      JsonObject a = registered.getJsonObject(i);
      String id = a.getString("id");
      boolean disabled = a.getBoolean("disabled", false);
      String self = Links.path("agents", id);
      agents.add(new AgentRow(id, a.getString("tenant"),
          String.join(", ", a.getJsonArray("groups").stream().map(String::valueOf).toList()),
          a.getString("created_by"), Formats.time(a.getString("created_at")), disabled,
          disabled ? null : self + "/disable", disabled ? self + "/enable" : null,
          Links.query(Links.path("audit"), Map.of("agent", id))));
    }
    agents.sort(Comparator.comparing(AgentRow::tenant).thenComparing(AgentRow::id));
    return Page.of("agents", "Agents & tokens", "agents",
        new View(agents, tokens(), Links.path("tokens", "revoke")));
  }

  /** One token's requests in the window. */
  private static final class Seen {
    final String agent;
    final String tenant;
    final Instant first;
    Instant last;
    long requests;

    Seen(String agent, String tenant, Instant first) {
      this.agent = agent;
      this.tenant = tenant;
      this.first = first;
      this.last = first;
    }
  }

  /** Tokens in request records of the window, newest use first; revoked ones marked. */
  private List<TokenRow> tokens() throws OperationException {
    Map<String, Seen> seen = new LinkedHashMap<>();
    Set<String> revoked = new HashSet<>();
    operations.forEachAuditEntry(routes.clock().instant().minus(TOKENS_SEEN), e -> {
      if ("admin".equals(e.getString("type")) && "token.revoke".equals(e.getString("action"))
          && "ok".equals(e.getString("outcome"))) {
        revoked.add(e.getString("resource", "").replaceFirst("^jti:", ""));
        return;
      }
      String jti = e.getString("jti", "");
      if (!"request".equals(e.getString("type")) || jti == null || jti.isEmpty()) {
        return;
      }
      Instant time = Instant.parse(e.getString("time"));
      Seen token = seen.computeIfAbsent(jti, j -> new Seen(e.getString("agent", ""),
          e.getString("tenant", ""), time));
      token.last = time;
      token.requests++;
    });
    List<Map.Entry<String, Seen>> newestFirst = new ArrayList<>(seen.entrySet());
    newestFirst.sort(Comparator.comparing((Map.Entry<String, Seen> t) -> t.getValue().last)
        .reversed());
    List<TokenRow> rows = new ArrayList<>();
    for (Map.Entry<String, Seen> t : newestFirst) {
      String jti = t.getKey();
      Seen token = t.getValue();
      boolean isRevoked = revoked.contains(jti);
      rows.add(new TokenRow(jti, token.agent, token.tenant, Formats.time(token.first),
          Formats.time(token.last), token.requests, isRevoked, isRevoked ? null
              : Links.query(Links.path("tokens", "revoke"), Map.of("jti", jti))));
    }
    return rows;
  }

  private static Page confirm(String heading, List<String> consequences, String action,
      String button, boolean danger, List<Hidden> hidden) {
    return Page.of("confirm", heading, "agents", new ConfirmView(heading, consequences, action,
        button, danger, hidden, false, Links.path("agents")));
  }

  private static String self(Visit visit) {
    return Links.path("agents", visit.param("id"));
  }
}
