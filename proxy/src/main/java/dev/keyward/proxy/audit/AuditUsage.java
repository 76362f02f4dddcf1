package dev.keyward.proxy.audit;

import dev.keyward.llm.Cost;
import dev.keyward.llm.Usage;
import io.vertx.core.json.JsonObject;

/**
 * What an LLM call used and cost, as the audit record shows it: token counts, the cost in USD
 * (null when the model has no price), whether the counts are an estimate (a stream cut before
 * the provider reported usage), the model sent upstream, and the tier the call belongs to: the
 * platform token's purpose ({@code conversation}, {@code heartbeat}, {@code subagent}), which picks
 * the route's tier model; null when the token names none.
 */
public record AuditUsage(String model, String tier, Usage usage, Cost cost) {

  public JsonObject toJson() {
    return new JsonObject()
        .put("input_tokens", usage.inputTokens())
        .put("output_tokens", usage.outputTokens())
        .put("cached_input_tokens", usage.cachedInputTokens())
        .put("reasoning_tokens", usage.reasoningTokens())
        .put("cost_usd", cost.priced() ? cost.usd() : null)
        .put("priced", cost.priced())
        .put("estimated", usage.estimated())
        .put("model", model)
        .put("tier", tier);
  }
}
