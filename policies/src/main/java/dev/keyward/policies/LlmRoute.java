package dev.keyward.policies;

import dev.keyward.llm.Api;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What a route knows about the LLM API it speaks: the API (or {@link Api#NONE}: a plain pipe),
 * the model each token purpose is sent to instead of the one asked for (tiers), the route's own
 * model allowlist, and the names agents use mapped to the names the upstream wants (aliases).
 *
 * @param tiers purpose ({@code heartbeat}, {@code subagent}, {@code conversation}) to model
 * @param models allowed models on this route (besides the credential's); empty: no route limit
 * @param aliases the agent's name of a model to the upstream's
 * @param maxOutputTokens the output a request that sets no cap ({@code max_tokens} and its kin)
 *     is reserved for against budgets
 */
public record LlmRoute(Api api, Map<String, String> tiers, Set<String> models,
    Map<String, String> aliases, long maxOutputTokens) {

  /**
   * The output reserved for a request that sets no cap, on a route that sets none: enough for a
   * long answer, small enough that a reservation does not hold a month's budget.
   */
  public static final long DEFAULT_MAX_OUTPUT_TOKENS = 8192;

  /** The largest {@code max_output_tokens} a route may set. */
  public static final long MAX_OUTPUT_TOKENS_LIMIT = 10_000_000;

  /** A plain route: bodies are piped, nothing is read. */
  public static final LlmRoute NONE =
      new LlmRoute(Api.NONE, Map.of(), Set.of(), Map.of(), DEFAULT_MAX_OUTPUT_TOKENS);

  /** The purposes a platform token can carry, and so the tiers a route can set. */
  public static final Set<String> PURPOSES = Set.of("conversation", "heartbeat", "subagent");

  /** The body limit of an LLM route that sets none: requests are read whole, so kept small. */
  public static final long DEFAULT_MAX_REQUEST_BODY = 4L * 1024 * 1024;

  public LlmRoute {
    tiers = Map.copyOf(tiers);
    models = Set.copyOf(models);
    aliases = Map.copyOf(aliases);
    if (maxOutputTokens < 1 || maxOutputTokens > MAX_OUTPUT_TOKENS_LIMIT) {
      throw new IllegalArgumentException("max_output_tokens must be 1 to "
          + MAX_OUTPUT_TOKENS_LIMIT);
    }
  }

  public boolean understood() {
    return api != Api.NONE;
  }

  /**
   * The model to send upstream for a request that asked for {@code requested} with a token of
   * {@code purpose}: the purpose's tier if the route has one (the agent cannot override it), then
   * the alias of that name if any.
   */
  public String modelToSend(String requested, Optional<String> purpose) {
    String chosen = purpose.map(tiers::get).orElse(requested);
    return aliases.getOrDefault(chosen, chosen);
  }
}
