package dev.keyward.llm.budget;

import dev.keyward.llm.Cost;
import dev.keyward.llm.PriceTable;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * The most one request may cost, reserved before it is forwarded: the input estimate at the
 * uncached input price plus the output cap at the output price ({@link PriceTable#worstCase}).
 * The output cap is the request's own ({@code max_tokens} and its kin, times the number of
 * choices), else the route's default cap.
 *
 * <p>A model missing from the price table gives an {@link Cost#UNPRICED unpriced} worst case: a
 * money budget cannot bound what it cannot price, so it refuses such a request ({@link
 * LimitKind#UNPRICED_MODEL}); budgets with only rate limits admit it.
 *
 * @param model the model that will be sent upstream (after tiers and aliases): the one priced
 * @param inputTokens the input estimate ({@code LlmRequest.inputTokenEstimate()})
 * @param outputTokens the output cap used
 */
public record WorstCase(String model, long inputTokens, long outputTokens, Cost cost) {

  /** A request that is not metered (not an LLM endpoint): it counts as a request, costs nothing. */
  public static final WorstCase UNMETERED = new WorstCase("", 0, 0, Cost.ZERO);

  public WorstCase {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(cost, "cost");
    if (inputTokens < 0 || outputTokens < 0) {
      throw new IllegalArgumentException("token counts cannot be negative");
    }
  }

  /**
   * @param maxOutputTokens the request's cap ({@code LlmRequest.maxOutputTokens()}), empty when
   *     it sets none
   * @param defaultOutputCap the route's cap for requests that set none
   */
  public static WorstCase of(PriceTable prices, String model, long inputTokens,
      OptionalLong maxOutputTokens, long defaultOutputCap) {
    if (defaultOutputCap < 0) {
      throw new IllegalArgumentException("the default output cap cannot be negative");
    }
    long output = maxOutputTokens.orElse(defaultOutputCap);
    return new WorstCase(model, inputTokens, output, prices.worstCase(model, inputTokens, output));
  }

  public boolean priced() {
    return cost.priced();
  }

  /** The money to reserve; 0 when unpriced. */
  public long nanoUsd() {
    return cost.nanoUsd();
  }

  /** The tokens to reserve against tokens-per-minute limits: input plus output cap. */
  public long tokens() {
    long sum = inputTokens + outputTokens;
    return sum < 0 ? Long.MAX_VALUE : sum;
  }
}
