package dev.keyward.proxy.budget;

import static dev.keyward.proxy.budget.UsageReader.nanoUsd;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.llm.budget.Usd;
import dev.keyward.proxy.Keyward;
import dev.keyward.proxy.cli.ExitCodes;
import dev.keyward.proxy.testing.Agent;
import dev.keyward.proxy.testing.AuditCapture;
import dev.keyward.proxy.testing.Cli;
import dev.keyward.proxy.testing.TestInstallation;
import dev.keyward.token.Role;
import dev.keyward.vault.MutableClock;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What operators see of budgets: {@code keyward usage} (through the admin API), the admin API
 * itself, and the per-budget gauges. The clock stands still, so "this minute" is one minute
 * whatever the machine's speed.
 */
class BudgetUsageTest {

  static final String MONTHLY = """
      plans:
        lite: {usd_per_month: 8}
      budgets:
        - name: acme-monthly
          scope: tenant
          tenants: [acme]
          plan: lite
      """;
  static final String PER_AGENT = """
        - name: per-agent
          scope: agent
          tenants: [acme]
          usd: 2.00
          period: daily
          requests_per_minute: 1
      """;

  @TempDir
  Path dir;

  final MutableClock clock = new MutableClock(Instant.now());
  FakeLlmTestbed testbed;
  TestInstallation installation;
  Keyward keyward;
  Agent agent;
  UsageReader usage;
  String adminUrl;
  String auditorTokenFile;

  @BeforeEach
  void start() throws Exception {
    testbed = new FakeLlmTestbed();
    installation = testbed.installation(dir, List.of("acme"), MONTHLY + PER_AGENT, "");
    keyward = installation.start(clock);
    agent = new Agent(keyward.port());
    usage = new UsageReader(keyward,
        installation.operatorToken("arthur", Role.AUDITOR, clock).token());
    adminUrl = "http://127.0.0.1:" + keyward.adminPort();
    auditorTokenFile = dir.resolve("arthur.token").toString();
    Files.writeString(Path.of(auditorTokenFile),
        installation.operatorToken("arthur", Role.AUDITOR, clock).token() + "\n");
  }

  @AfterEach
  void stop() throws Exception {
    keyward.close();
    testbed.close();
  }

  /** One chat call by {@code agentId} of acme; returns its metered cost in nano-dollars. */
  long call(String agentId) throws Exception {
    HttpResponse<String> response = agent.post("/r/openai/chat/completions",
        installation.token(agentId, "acme", clock).token(),
        FakeLlmTestbed.chat("gpt-5-mini", false, "Say hi"));
    assertEquals(200, response.statusCode(), response.body());
    JsonObject record = new AuditCapture(dir).forRequest(
        response.headers().firstValue("x-request-id").orElseThrow());
    return nanoUsd(record.getJsonObject("usage").getValue("cost_usd"));
  }

  Cli.Result keywardUsage(String... args) {
    String[] all = new String[args.length + 5];
    all[0] = "usage";
    System.arraycopy(args, 0, all, 1, args.length);
    all[args.length + 1] = "--admin-url";
    all[args.length + 2] = adminUrl;
    all[args.length + 3] = "--operator-token-file";
    all[args.length + 4] = auditorTokenFile;
    return Cli.run(all);
  }

  static String firstOfNextMonth(Instant now) {
    return YearMonth.from(now.atZone(ZoneOffset.UTC)).plusMonths(1).atDay(1)
        .atStartOfDay(ZoneOffset.UTC).toInstant().toString();
  }

  @Test
  void keywardUsageShowsEachBudgetsLimitAndResetAndEachSubjectsSpendAndRate() throws Exception {
    long cost = call("agent-1");
    usage.settled("acme-monthly", "tenant:acme");
    usage.settled("per-agent", "agent:acme/agent-1");
    Cli.Result result = keywardUsage();
    assertEquals(ExitCodes.OK, result.exit(), result.toString());
    String out = result.out();
    assertTrue(out.contains("acme-monthly (tenant, plan lite): 8.00 USD monthly on day 1 (Z),"
        + " resets at " + firstOfNextMonth(clock.instant())), out);
    assertTrue(out.contains("tenant:acme  spent " + Usd.format(cost) + ", held 0.00 USD, left "
        + Usd.format(8_000_000_000L - cost)), out);
    assertTrue(out.contains("per-agent (agent): 2.00 USD daily (Z)"), out);
    assertTrue(out.contains("agent:acme/agent-1  spent " + Usd.format(cost)), out);
    assertTrue(out.contains("requests 1/1 this minute  AT LIMIT"), out);
  }

  @Test
  void keywardUsageJsonHasTheLimitsTheResetAndTheSpendOfEveryCall() throws Exception {
    long cost = call("agent-1") + call("agent-2");
    usage.settled("acme-monthly", "tenant:acme");
    Cli.Result result = keywardUsage("--budget", "acme-monthly", "--json");
    assertEquals(ExitCodes.OK, result.exit(), result.toString());
    JsonObject json = new JsonObject(result.out());
    JsonArray budgets = json.getJsonArray("budgets");
    assertEquals(1, budgets.size(), json.encode());
    JsonObject monthly = budgets.getJsonObject(0);
    assertEquals("lite", monthly.getString("plan"));
    assertEquals(8_000_000_000L, nanoUsd(monthly.getValue("limit_usd")));
    assertEquals(firstOfNextMonth(clock.instant()), monthly.getString("resets_at"));
    JsonObject acme = monthly.getJsonArray("subjects").getJsonObject(0);
    assertEquals("tenant:acme", acme.getString("subject"));
    assertEquals(cost, nanoUsd(acme.getValue("spent_usd")));
    assertEquals(8_000_000_000L - cost, nanoUsd(acme.getValue("remaining_usd")));
    assertFalse(acme.getBoolean("at_limit"));
  }

  @Test
  void anAuditorReadsUsageAndTheReadIsAudited() throws Exception {
    JsonObject all = usage.all();
    assertEquals(List.of("acme-monthly", "per-agent"), all.getJsonArray("budgets").stream()
        .map(b -> ((JsonObject) b).getString("budget")).toList());
    JsonObject record = new AuditCapture(dir).first(r -> "budget.usage".equals(
        r.getString("action")));
    assertEquals("arthur", record.getString("operator"));
    assertEquals("ok", record.getString("outcome"));
  }

  @Test
  void aBudgetThePolicyDoesNotHaveIsNotFound() {
    Cli.Result result = keywardUsage("--budget", "no-such-budget");
    assertEquals(ExitCodes.NOT_FOUND, result.exit(), result.toString());
    assertTrue(result.err().contains("acme-monthly, per-agent"), result.err());
  }

  @Test
  void withoutTheAdminApiKeywardUsageSaysItNeedsTheRunningServer() {
    Cli.Result result = Cli.run("usage", "--config", dir.resolve("keyward.yaml").toString());
    assertEquals(ExitCodes.CONFLICT, result.exit(), result.toString());
    assertTrue(result.err().contains("--admin-url"), result.err());
  }

  /** The gauge lines of budgets, as Prometheus shows them. */
  String budgetGauges() throws Exception {
    HttpResponse<String> metrics = new Agent(keyward.adminPort()).get("/metrics", null);
    return metrics.body().lines().filter(line -> line.startsWith("keyward_budget_")
        && !line.startsWith("keyward_budget_decisions")
        && !line.startsWith("keyward_budget_store_failures")
        && !line.startsWith("keyward_budget_holds_expired"))
        .collect(Collectors.joining("\n"));
  }

  static double value(String gauges, String series) {
    return gauges.lines().filter(line -> line.startsWith(series + " ")).findFirst()
        .map(line -> Double.parseDouble(line.substring(series.length() + 1)))
        .orElseThrow(() -> new AssertionError("no " + series + " in\n" + gauges));
  }

  @Test
  void theGaugesSumOverSubjectsAndCountThoseAtALimitWithoutNamingThem() throws Exception {
    long cost = call("agent-1") + call("agent-2");
    usage.settled("per-agent", "agent:acme/agent-1");
    usage.settled("per-agent", "agent:acme/agent-2");
    keyward.refreshBudgetGauges();
    String gauges = budgetGauges();
    assertEquals(cost / 1e9, value(gauges, "keyward_budget_spend_usd{budget=\"per-agent\"}"),
        1e-12, gauges);
    assertEquals(0, value(gauges, "keyward_budget_held_usd{budget=\"per-agent\"}"), gauges);
    assertEquals(2.0, value(gauges, "keyward_budget_limit_usd{budget=\"per-agent\"}"), gauges);
    assertEquals(2, value(gauges, "keyward_budget_subjects{budget=\"per-agent\"}"), gauges);
    assertEquals(2, value(gauges, "keyward_budget_subjects_at_limit{budget=\"per-agent\","
        + "limit=\"requests_per_minute\"}"), gauges);
    assertEquals(0, value(gauges, "keyward_budget_subjects_at_limit{budget=\"per-agent\","
        + "limit=\"usd\"}"), gauges);
    assertEquals(1, value(gauges, "keyward_budget_subjects{budget=\"acme-monthly\"}"), gauges);
    for (String subject : List.of("agent-1", "agent-2", "acme/", "tenant:")) {
      assertFalse(gauges.contains(subject), subject + " in\n" + gauges);
    }
  }

  @Test
  void aBudgetRemovedFromThePolicyLosesItsGauges() throws Exception {
    keyward.refreshBudgetGauges();
    assertTrue(budgetGauges().contains("budget=\"per-agent\""), budgetGauges());
    installation.policy(testbed.policy(List.of("acme"), MONTHLY));
    assertTrue(keyward.reloadPolicy().changed());
    keyward.refreshBudgetGauges();
    String gauges = budgetGauges();
    assertFalse(gauges.contains("budget=\"per-agent\""), gauges);
    assertTrue(gauges.contains("budget=\"acme-monthly\""), gauges);
  }
}
