package dev.keyward.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PriceTableTest {

  private static final YAMLMapper YAML = new YAMLMapper();

  /** Reads a YAML price file as the proxy will: into a plain map, then its models mapping. */
  private static PriceTable load(String file) throws Exception {
    Map<?, ?> root = YAML.readValue(Path.of("src/test/resources/prices", file).toFile(), Map.class);
    return PriceTable.fromMap((Map<?, ?>) root.get("models"));
  }

  private static List<String> problemsOf(String file) {
    return assertThrows(InvalidPriceTableException.class, () -> load(file)).problems();
  }

  private static String onlyProblem(String file) {
    List<String> problems = problemsOf(file);
    assertEquals(1, problems.size(), problems.toString());
    return problems.get(0);
  }

  private static PriceTable shipped() throws Exception {
    try (InputStream in = PriceTable.class.getResourceAsStream("prices.yaml")) {
      Map<?, ?> root = YAML.readValue(in, Map.class);
      return PriceTable.fromMap((Map<?, ?>) ((Map<?, ?>) root.get("pricing")).get("models"));
    }
  }

  @Test
  void shippedExamplePricesLoadAndCoverEveryModelOfTheDocs() throws Exception {
    PriceTable table = shipped();
    for (String model : List.of("claude-opus-4-5", "claude-sonnet-4-5", "claude-sonnet-4-6",
        "claude-haiku-4-5", "gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-4.1-mini",
        "gemini-2.5-flash", "gemini-2.5-flash-lite", "deepseek-chat", "MiniMax-M2.5",
        "anthropic/claude-haiku-4.5", "anthropic/claude-sonnet-4.5", "openai/gpt-5-mini",
        "google/gemini-2.5-flash", "meta-llama/llama-3.3-70b-instruct", "deepseek/deepseek-chat",
        "minimax/minimax-m2.5")) {
      assertTrue(table.price(model).isPresent(), model);
    }
  }

  @Test
  void shippedHaikuPriceMatchesTheIssueExample() throws Exception {
    assertEquals(new ModelPrice(1_000_000_000L, 5_000_000_000L, 100_000_000L),
        shipped().price("anthropic/claude-haiku-4.5").orElseThrow());
  }

  @Test
  void cachedPriceDefaultsToTheInputPrice() throws Exception {
    ModelPrice price = load("valid.yaml").price("llama-3.3-70b-versatile").orElseThrow();
    assertEquals(price.inputNanoUsdPerMillion(), price.cachedInputNanoUsdPerMillion());
    assertEquals(590_000_000L, price.inputNanoUsdPerMillion());
  }

  @Test
  void negativePriceIsRefused() {
    String problem = onlyProblem("negative.yaml");
    assertTrue(problem.startsWith("model 'gpt-5': input is negative"), problem);
    assertTrue(problem.contains("0 or more"), problem);
  }

  @Test
  void unknownKeyIsRefusedWithTheLikelyName() {
    assertTrue(onlyProblem("unknown_key.yaml").contains("did you mean 'cached_input'?"));
  }

  @Test
  void quotedNumberIsRefusedWithTheFix() {
    assertTrue(onlyProblem("quoted_number.yaml").contains("remove the quotes"));
  }

  @Test
  void wordIsNotAPrice() {
    assertEquals("model 'gpt-5': output must be a number, not 'ten'; write e.g. output: 1.25",
        onlyProblem("not_a_number.yaml"));
  }

  @Test
  void nanIsNotAPrice() {
    Map<String, Object> models = Map.of("gpt-5", Map.of("input", Double.NaN, "output", 10.0));
    InvalidPriceTableException e =
        assertThrows(InvalidPriceTableException.class, () -> PriceTable.fromMap(models));
    assertEquals(List.of("model 'gpt-5': input must be a finite number, not NaN"), e.problems());
  }

  @Test
  void pricesReadAsDoublesAreExactDecimals() throws Exception {
    PriceTable table = PriceTable.fromMap(Map.of("m", Map.of("input", 0.1, "output", 0.3)));
    assertEquals(new ModelPrice(100_000_000L, 300_000_000L, 100_000_000L),
        table.price("m").orElseThrow());
  }

  @Test
  void missingOutputPriceIsRefused() {
    assertTrue(onlyProblem("missing_output.yaml").contains("output is missing"));
  }

  @Test
  void priceThatIsNotAMappingIsRefusedWithTheForm() {
    assertTrue(onlyProblem("not_a_mapping.yaml").contains("{input: 1.00, output: 5.00"));
  }

  @Test
  void moreThanNineDecimalsIsRefused() {
    assertTrue(onlyProblem("too_many_decimals.yaml").contains("more than 9 decimals"));
  }

  @Test
  void perTokenMixupIsRefused() {
    assertTrue(onlyProblem("per_token_mixup.yaml").contains("not per token"));
  }

  @Test
  void everyProblemIsReportedNotJustTheFirst() {
    List<String> problems = problemsOf("many_problems.yaml");
    assertEquals(3, problems.size(), problems.toString());
  }

  @Test
  void cachedTokensAreChargedOnlyAtTheCachedPrice() throws Exception {
    // gpt-5-mini: 226 uncached x 0.25 + 1024 cached x 0.025 + 212 output x 2.00 = 506.1 µUSD.
    Usage usage = new Usage(1250, 212, 1024, 192, false, "gpt-5-mini-2025-08-07");
    assertEquals(Cost.ofNanoUsd(506_100), shipped().cost("gpt-5-mini", usage));
  }

  @Test
  void anthropicCacheReadsAreChargedAtTheCachedPrice() throws Exception {
    // claude-haiku-4-5: 2272 x 1.00 + 12000 x 0.10 + 15 x 5.00 = 3547 µUSD.
    Usage usage = new Usage(14272, 15, 12000, 0, false, "claude-haiku-4-5-20251001");
    Cost cost = shipped().cost("claude-haiku-4-5", usage);
    assertEquals(3_547_000, cost.nanoUsd());
    assertEquals("0.003547", cost.format());
  }

  @Test
  void reasoningTokensAreChargedOnceAsOutput() throws Exception {
    Usage withReasoning = new Usage(10, 100, 0, 90, false, "");
    Usage without = new Usage(10, 100, 0, 0, false, "");
    PriceTable table = shipped();
    assertEquals(table.cost("gpt-5", without), table.cost("gpt-5", withReasoning));
  }

  @Test
  void costIsExactWithoutFloatingPointDrift() throws Exception {
    PriceTable table = load("valid.yaml");
    Cost total = Cost.ZERO;
    for (int i = 0; i < 1000; i++) {
      total = total.plus(table.cost("gpt-5-nano", new Usage(3, 0, 1, 0, false, "")));
    }
    // Each call: 2 x 0.05 + 1 x 0.005 USD per million = 105 nano-USD, exactly.
    assertEquals(Cost.ofNanoUsd(105_000), total);
    assertEquals("0.000105", total.format());
  }

  @Test
  void remainderBelowANanoDollarRoundsUpNeverToFree() throws Exception {
    assertEquals(Cost.ofNanoUsd(1), load("valid.yaml").cost("tiny", new Usage(1, 0, 0, 0,
        false, "")));
  }

  @Test
  void unknownModelIsUnpricedNotFree() throws Exception {
    Cost cost = shipped().cost("gpt-9", new Usage(100, 100, 0, 0, false, ""));
    assertEquals(Cost.UNPRICED, cost);
    assertEquals("unpriced", cost.format());
  }

  @Test
  void datedSnapshotIsPricedAsItsModel() throws Exception {
    PriceTable table = shipped();
    assertEquals(table.price("claude-haiku-4-5"), table.price("claude-haiku-4-5-20251001"));
    assertEquals(table.price("gpt-5-mini"), table.price("gpt-5-mini-2025-08-07"));
  }

  @Test
  void worstCaseChargesAllInputUncachedAndTheWholeCap() throws Exception {
    // claude-haiku-4-5: 1000 x 1.00 + 4096 x 5.00 = 21480 µUSD.
    assertEquals(Cost.ofNanoUsd(21_480_000), shipped().worstCase("claude-haiku-4-5", 1000, 4096));
  }

  @Test
  void worstCaseOfAnAbsurdCapSaturatesInsteadOfOverflowing() throws Exception {
    assertEquals(Long.MAX_VALUE, shipped().worstCase("gpt-5", 1, Long.MAX_VALUE).nanoUsd());
  }

  @Test
  void worstCaseOfAnUnknownModelIsUnpriced() {
    assertEquals(Cost.UNPRICED, PriceTable.EMPTY.worstCase("gpt-5", 1, 1));
  }
}
