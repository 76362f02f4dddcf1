package dev.keyward.llm;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * List prices per model, in USD per million input, output and cached-input tokens, and the cost
 * of a call. Built once from configuration (the caller reads the YAML into a plain map),
 * validated with every problem named; immutable after.
 *
 * <p>Cost: {@code (input - cached) × input price + cached × cached price + output × output
 * price}, on {@link Usage}'s normalised counts, so a cached token is charged at the cached price
 * and not also at the input price, and reasoning tokens are charged once, as output. Anthropic's
 * cache writes are inside {@code input} and charged at the input price, below Anthropic's 1.25×
 * (5-minute) or 2× (1-hour) write price. Arithmetic is exact on integers; only the final sum is
 * rounded, up, to a whole nano-dollar (prices with at most three decimals leave nothing to round).
 */
public final class PriceTable {

  public static final PriceTable EMPTY = new PriceTable(Map.of());

  /** Far above any list price; it keeps every product of prices and counts exact. */
  static final BigDecimal MAX_USD_PER_MILLION = new BigDecimal(1_000_000);

  private static final Set<String> KEYS = Set.of("input", "output", "cached_input");
  private static final BigInteger MILLION = BigInteger.valueOf(1_000_000);
  /** A dated snapshot the provider reports, e.g. {@code gpt-5-mini-2025-08-07}. */
  private static final Pattern DATE_SUFFIX = Pattern.compile("-(\\d{4}-\\d{2}-\\d{2}|\\d{8})$");

  private final Map<String, ModelPrice> prices;

  private PriceTable(Map<String, ModelPrice> prices) {
    this.prices = Map.copyOf(prices);
  }

  /**
   * Builds a table from {@code model → {input, output, cached_input}} as read from YAML or JSON
   * (the {@code pricing.models} mapping). {@code cached_input} defaults to {@code input}.
   *
   * @throws InvalidPriceTableException listing every problem, each with its fix
   */
  public static PriceTable fromMap(Map<?, ?> models) throws InvalidPriceTableException {
    List<String> problems = new ArrayList<>();
    Map<String, ModelPrice> prices = new LinkedHashMap<>();
    if (models == null) {
      return EMPTY;
    }
    for (Map.Entry<?, ?> entry : models.entrySet()) {
      String model = String.valueOf(entry.getKey());
      String problem = LlmRequest.modelProblem(model);
      if (!(entry.getKey() instanceof String) || problem != null) {
        problems.add("model '" + model + "': not a model name: "
            + (problem == null ? "write it as text" : problem));
        continue;
      }
      ModelPrice price = read(model, entry.getValue(), problems);
      if (price != null) {
        prices.put(model, price);
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidPriceTableException(problems);
    }
    return new PriceTable(prices);
  }

  /** The number of models priced. */
  public int size() {
    return prices.size();
  }

  /** The model names priced, sorted. */
  public Set<String> models() {
    return new TreeSet<>(prices.keySet());
  }

  /**
   * The price of a model: by its exact name, else without a date suffix the provider added
   * ({@code claude-haiku-4-5-20251001} is priced as {@code claude-haiku-4-5}).
   */
  public Optional<ModelPrice> price(String model) {
    if (model == null) {
      return Optional.empty();
    }
    ModelPrice exact = prices.get(model);
    if (exact != null) {
      return Optional.of(exact);
    }
    return Optional.ofNullable(prices.get(DATE_SUFFIX.matcher(model).replaceFirst("")));
  }

  /** What a call cost; {@link Cost#UNPRICED} for a model not in the table. */
  public Cost cost(String model, Usage usage) {
    Optional<ModelPrice> price = price(model);
    if (price.isEmpty()) {
      return Cost.UNPRICED;
    }
    ModelPrice p = price.get();
    long cached = Math.min(usage.cachedInputTokens(), usage.inputTokens());
    BigInteger microNano = times(usage.inputTokens() - cached, p.inputNanoUsdPerMillion())
        .add(times(cached, p.cachedInputNanoUsdPerMillion()))
        .add(times(usage.outputTokens(), p.outputNanoUsdPerMillion()));
    return Cost.ofNanoUsd(perMillionRoundedUp(microNano));
  }

  /**
   * The most a call can cost, for a budget reservation: every input token at the uncached price
   * and the whole output cap at the output price.
   */
  public Cost worstCase(String model, long inputTokens, long maxOutputTokens) {
    if (inputTokens < 0 || maxOutputTokens < 0) {
      throw new IllegalArgumentException("token counts cannot be negative");
    }
    Optional<ModelPrice> price = price(model);
    if (price.isEmpty()) {
      return Cost.UNPRICED;
    }
    BigInteger microNano = times(inputTokens, price.get().inputNanoUsdPerMillion())
        .add(times(maxOutputTokens, price.get().outputNanoUsdPerMillion()));
    return Cost.ofNanoUsd(perMillionRoundedUp(microNano));
  }

  private static BigInteger times(long tokens, long nanoPerMillion) {
    return BigInteger.valueOf(tokens).multiply(BigInteger.valueOf(nanoPerMillion));
  }

  /** Nano-dollars, rounded up; a sum beyond a {@code long} (only from absurd caps) saturates. */
  private static long perMillionRoundedUp(BigInteger value) {
    BigInteger[] divided = value.divideAndRemainder(MILLION);
    BigInteger nano = divided[1].signum() > 0 ? divided[0].add(BigInteger.ONE) : divided[0];
    return nano.bitLength() < Long.SIZE ? nano.longValue() : Long.MAX_VALUE;
  }

  private static ModelPrice read(String model, Object value, List<String> problems) {
    String where = "model '" + model + "'";
    if (!(value instanceof Map<?, ?> fields)) {
      problems.add(where + ": write its prices as {input: 1.00, output: 5.00, cached_input: 0.10}"
          + " (USD per million tokens)");
      return null;
    }
    int before = problems.size();
    for (Object key : fields.keySet()) {
      if (!KEYS.contains(String.valueOf(key))) {
        String suggestion = closest(String.valueOf(key));
        problems.add(where + ": unknown key '" + key + "'; "
            + (suggestion == null ? "use input, output and cached_input"
                : "did you mean '" + suggestion + "'?"));
      }
    }
    BigDecimal input = usd(where, "input", fields, true, problems);
    BigDecimal output = usd(where, "output", fields, true, problems);
    BigDecimal cached = usd(where, "cached_input", fields, false, problems);
    if (problems.size() > before) {
      return null;
    }
    return ModelPrice.usdPerMillion(input, output, cached == null ? input : cached);
  }

  private static BigDecimal usd(String where, String key, Map<?, ?> fields, boolean required,
      List<String> problems) {
    Object value = fields.get(key);
    String at = where + ": " + key;
    if (value == null) {
      if (required || fields.containsKey(key)) {
        problems.add(at + " is missing; write the price in USD per million tokens, e.g. "
            + key + ": 1.25");
      }
      return null;
    }
    if (!(value instanceof Number number)) {
      problems.add(at + " must be a number, not '" + value + "'"
          + (looksNumeric(value) ? "; remove the quotes" : "; write e.g. " + key + ": 1.25"));
      return null;
    }
    BigDecimal usd;
    try {
      usd = new BigDecimal(number.toString());
    } catch (NumberFormatException e) {
      problems.add(at + " must be a finite number, not " + number);
      return null;
    }
    if (usd.signum() < 0) {
      problems.add(at + " is negative (" + usd.toPlainString() + "); prices are USD per million"
          + " tokens, 0 or more");
    } else if (usd.compareTo(MAX_USD_PER_MILLION) > 0) {
      problems.add(at + " is over " + MAX_USD_PER_MILLION + "; prices are USD per million tokens,"
          + " not per token");
    } else if (usd.stripTrailingZeros().scale() > 9) {
      problems.add(at + " has more than 9 decimals (" + usd.toPlainString() + "); round it to a"
          + " nano-dollar per million tokens");
    } else {
      return usd;
    }
    return null;
  }

  private static boolean looksNumeric(Object value) {
    try {
      new BigDecimal(String.valueOf(value).trim());
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /** The known key within edit distance 2 (or any key about caching), for "did you mean". */
  private static String closest(String key) {
    String best = Spelling.closest(key, KEYS);
    if (best == null && key.startsWith("cache")) {
      return "cached_input";
    }
    return best;
  }
}
