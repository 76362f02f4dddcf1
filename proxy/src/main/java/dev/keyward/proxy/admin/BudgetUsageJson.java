package dev.keyward.proxy.admin;

import dev.keyward.llm.budget.BudgetLimits;
import dev.keyward.llm.budget.Usd;
import dev.keyward.llm.budget.Window;
import dev.keyward.policies.Budget;
import dev.keyward.proxy.budget.BudgetUsage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Budget usage as the admin API shows it: per budget its limits and when its windows reset, then
 * per subject with counters in the current window what it spent, holds for calls still running and
 * has left, and this minute's requests and tokens. Amounts are exact decimals of USD ({@code
 * 8.00}, {@code 0.00004225}); only the limits a budget sets appear.
 */
final class BudgetUsageJson {

  private BudgetUsageJson() {}

  static JsonObject of(Instant at, List<Budget> budgets, List<BudgetUsage> rows) {
    JsonArray out = new JsonArray();
    Window minute = Window.minuteAt(at);
    for (Budget budget : budgets) {
      BudgetLimits limits = budget.limits();
      JsonObject json = new JsonObject().put("budget", budget.name())
          .put("scope", budget.scope().wireName());
      budget.plan().ifPresent(plan -> json.put("plan", plan));
      Optional<Window> money = limits.moneyWindow(at);
      if (money.isPresent()) {
        json.put("limit_usd", usd(limits.nanoUsd().getAsLong()))
            .put("period", limits.period().orElseThrow().describe())
            .put("window_start", money.get().start().toString())
            .put("resets_at", money.get().end().toString());
      }
      limits.requestsPerMinute().ifPresent(rpm -> json.put("requests_per_minute", rpm));
      limits.tokensPerMinute().ifPresent(tpm -> json.put("tokens_per_minute", tpm));
      if (limits.limitsRate()) {
        json.put("minute_resets_at", minute.end().toString());
      }
      JsonArray subjects = new JsonArray();
      for (BudgetUsage row : rows) {
        if (row.budget().equals(budget.name())) {
          subjects.add(subject(row));
        }
      }
      out.add(json.put("subjects", subjects));
    }
    return new JsonObject().put("at", at.toString()).put("budgets", out);
  }

  private static JsonObject subject(BudgetUsage row) {
    JsonObject json = new JsonObject().put("subject", row.subject());
    if (row.limitNanoUsd().isPresent()) {
      json.put("spent_usd", usd(row.spentNanoUsd())).put("held_usd", usd(row.heldNanoUsd()))
          .put("remaining_usd", usd(row.remainingNanoUsd().getAsLong()));
    }
    if (row.requestsPerMinute().isPresent()) {
      json.put("requests_this_minute", row.requestsThisMinute());
    }
    if (row.tokensPerMinute().isPresent()) {
      json.put("tokens_this_minute", row.tokensThisMinute());
    }
    return json.put("at_limit", row.atLimit());
  }

  private static BigDecimal usd(long nanoUsd) {
    return Usd.amount(nanoUsd);
  }
}
