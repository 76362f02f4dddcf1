package dev.keyward.proxy.console;

import dev.keyward.policies.PolicySet;
import dev.keyward.policies.Route;
import dev.keyward.proxy.admin.LocalOperations;
import dev.keyward.proxy.admin.OperationException;
import dev.keyward.proxy.budget.BudgetGate;
import dev.keyward.proxy.budget.BudgetUsage;
import dev.keyward.proxy.console.ConsoleRoutes.Page;
import dev.keyward.proxy.console.ConsoleRoutes.Visit;
import io.vertx.ext.web.Router;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Usage and budgets (spend against each limit, cost per model and per tier over time, the agents
 * that spent most) and the routes.
 */
public final class UsagePages {

  /** How long the page waits for the budget store. */
  static final Duration BUDGET_STORE_WAIT = Duration.ofSeconds(10);

  /**
   * One subject's spend against one budget: money when the budget limits it, else this minute's
   * requests (or tokens) against the rate.
   */
  public record BudgetBar(String budget, String subject, String used, String limit,
      double usedPercent, double heldPercent, String held, String resets, String rates,
      boolean over) {}

  /** The usage page. */
  public record UsageView(List<Periods.Choice> periods, String since, String total, long calls,
      long tokens, long unpricedCalls, long estimatedCalls, String bucket,
      StackedChart byModel, StackedChart byTier, List<UsageSummary.AgentSpend> topAgents,
      boolean hasBudgets, List<BudgetBar> budgets, String budgetProblem) {}

  /** A route of the policy, with its targets in the route's order (one, unnamed, without). */
  public record RouteRow(String name, String strategy, List<TargetRow> targets, String api,
      String tiers) {}

  /** Where a route sends calls: a target (no name on a route with one upstream). */
  public record TargetRow(String name, String upstream, String credential) {}

  /** The routing page. */
  public record RoutingView(String policyVersion, List<RouteRow> routes) {}

  private final ConsoleRoutes routes;
  private final LocalOperations operations;
  private final Supplier<PolicySet> policy;
  private final BudgetGate budgets;

  UsagePages(ConsoleRoutes routes, LocalOperations operations, Supplier<PolicySet> policy,
      BudgetGate budgets) {
    this.routes = routes;
    this.operations = operations;
    this.policy = policy;
    this.budgets = budgets;
  }

  void mount(Router router) {
    routes.page(router, Console.ROOT + "/usage", this::usage);
    routes.page(router, Console.ROOT + "/routing", visit -> {
      PolicySet current = policy.get();
      List<RouteRow> rows = new ArrayList<>();
      for (Route route : current.routes()) {
        rows.add(routeRow(route));
      }
      return Page.of("routing", "Routing", "routing",
          new RoutingView(current.version(), rows));
    });
  }

  static RouteRow routeRow(Route route) {
    List<TargetRow> targets = route.routing().chained()
        ? route.routing().targets().stream().map(t -> new TargetRow(t.name(),
            t.upstream().toString(), t.credentialId())).toList()
        : List.of(new TargetRow("", route.upstream().toString(), route.credentialId()));
    return new RouteRow(route.name(),
        route.routing().chained() ? route.routing().strategy().wireName() : "", targets,
        route.llm().understood() ? route.llm().api().configName() : "—",
        tiers(route.llm().tiers()));
  }

  private Page usage(Visit visit) throws OperationException {
    String since = Periods.chosen(visit.param("since"), "7d");
    Instant now = routes.clock().instant();
    UsageSummary summary = new UsageSummary(now.minus(Periods.ALL.get(since)), now);
    operations.forEachAuditEntry(now.minus(Periods.ALL.get(since)), summary::accept);
    List<BudgetBar> bars = new ArrayList<>();
    String problem = null;
    PolicySet current = policy.get();
    if (!current.budgets().isEmpty()) {
      try {
        budgets.usage(current.budgets()).toCompletionStage().toCompletableFuture()
            .get(BUDGET_STORE_WAIT.toSeconds(), TimeUnit.SECONDS)
            .forEach(u -> bars.add(bar(u)));
      } catch (Exception e) {
        problem = "The budget store cannot be read now: " + rootMessage(e);
      }
    }
    return Page.of("usage", "Usage & budgets", "usage", new UsageView(
        Periods.choices(Links.path("usage"), since), since, Formats.usd(summary.nanoUsd()),
        summary.calls(), summary.tokens(), summary.unpricedCalls(), summary.estimatedCalls(),
        summary.bucket(), summary.costByModel(), summary.costByTier(), summary.topAgents(),
        !current.budgets().isEmpty(), bars, problem));
  }

  /** One usage row as a bar: money if limited, else the minute's requests or tokens. */
  static BudgetBar bar(BudgetUsage u) {
    List<String> rates = new ArrayList<>();
    u.requestsPerMinute().ifPresent(limit -> rates.add(u.requestsThisMinute() + " of " + limit
        + " requests this minute"));
    u.tokensPerMinute().ifPresent(limit -> rates.add(u.tokensThisMinute() + " of " + limit
        + " tokens this minute"));
    String rateText = String.join("; ", rates);
    if (u.limitNanoUsd().isPresent()) {
      long limit = u.limitNanoUsd().getAsLong();
      double spent = percent(u.spentNanoUsd(), limit);
      double held = Math.min(percent(u.heldNanoUsd(), limit), 100 - spent);
      return new BudgetBar(u.budget(), u.subject(), Formats.usd(u.spentNanoUsd()),
          Formats.usd(limit), spent, held, Formats.usd(u.heldNanoUsd()),
          u.moneyWindow().map(w -> Formats.time(w.end())).orElse("—"), rateText,
          u.spentNanoUsd() + u.heldNanoUsd() >= limit);
    }
    long used = u.requestsPerMinute().isPresent() ? u.requestsThisMinute()
        : u.tokensThisMinute();
    long limit = u.requestsPerMinute().isPresent() ? u.requestsPerMinute().getAsLong()
        : u.tokensPerMinute().orElse(0);
    String unit = u.requestsPerMinute().isPresent() ? " requests" : " tokens";
    return new BudgetBar(u.budget(), u.subject(), used + unit, limit + unit + " a minute",
        percent(used, limit), 0, "", "the next minute", rateText, used >= limit);
  }

  static double percent(long part, long whole) {
    if (whole <= 0) {
      return part > 0 ? 100 : 0;
    }
    return Math.round(Math.min(100.0, 100.0 * part / whole) * 10) / 10.0;
  }

  private static String tiers(Map<String, String> tiers) {
    List<String> out = new ArrayList<>();
    new TreeMap<>(tiers).forEach((purpose, model) -> out.add(purpose + " → " + model));
    return out.isEmpty() ? "—" : String.join(", ", out);
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}
