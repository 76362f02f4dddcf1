package dev.keyward.proxy.budget;

import dev.keyward.llm.Cost;
import dev.keyward.llm.budget.WorstCase;
import dev.keyward.policies.ApplicableBudget;
import dev.keyward.policies.PolicyLoader;
import dev.keyward.policies.PolicySet;
import io.vertx.core.Future;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** Budgets for store tests, read from a real policy document. */
final class Budgets {

  /** $1 a month per tenant; 3 requests and 1000 tokens a minute per agent; a rate-only budget. */
  static final PolicySet POLICY = policy("""
      credentials:
        - id: openrouter
          allowed_domains: ["openrouter.ai"]
      budgets:
        - name: acme-monthly
          scope: tenant
          tenants: [acme]
          usd: 1.00
          period: monthly
        - name: per-agent
          scope: agent
          tenants: [acme]
          requests_per_minute: 3
          tokens_per_minute: 1000
        - name: open-when-down
          scope: tenant
          tenants: [initech]
          usd: 1.00
          period: daily
          on_store_failure: allow
      """);

  static final long DOLLAR = 1_000_000_000L;

  private Budgets() {}

  static PolicySet policy(String yaml) {
    try {
      return PolicyLoader.parse("test-policy.yaml", yaml);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static List<ApplicableBudget> only(String name, String tenant, String agent) {
    return POLICY.budgetsFor(agent, tenant, Set.of(), "openrouter").stream()
        .filter(b -> b.name().equals(name)).toList();
  }

  static List<ApplicableBudget> monthly() {
    return only("acme-monthly", "acme", "agent-7");
  }

  static List<ApplicableBudget> perAgent() {
    return only("per-agent", "acme", "agent-7");
  }

  static WorstCase costing(long nanoUsd) {
    return new WorstCase("m", 100, 100, Cost.ofNanoUsd(nanoUsd));
  }

  static WorstCase tokens(long input, long output) {
    return new WorstCase("m", input, output, Cost.ofNanoUsd(1));
  }

  static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
