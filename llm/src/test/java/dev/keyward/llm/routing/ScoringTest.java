package dev.keyward.llm.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.keyward.llm.routing.Scoring.Inputs;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ScoringTest {

  static Inputs target(long cost, double quality, double latency) {
    return new Inputs(OptionalLong.of(cost), OptionalDouble.of(quality),
        OptionalDouble.of(latency));
  }

  /** A cheap, mediocre, slow model and an expensive, good, fast one. */
  static final List<Inputs> CHEAP_AND_GOOD = List.of(
      target(1_000, 0.5, 900), target(10_000, 0.9, 300));

  @Test
  void theScoreIsTheWeightedSumOfTheNormalisedInputs() {
    double[] scores = Scoring.scores(CHEAP_AND_GOOD, ScoreWeights.ECONOMY);
    // cheap: 0.55 × (1 − 0.1) + 0.25 × 0.5 + 0.20 × (1 − 1)
    assertEquals(0.55 * 0.9 + 0.25 * 0.5, scores[0], 1e-12);
    // good: 0.55 × 0 + 0.25 × 0.9 + 0.20 × (1 − 1/3)
    assertEquals(0.25 * 0.9 + 0.20 * (2.0 / 3), scores[1], 1e-12);
  }

  @Test
  void economyPrefersTheCheapModel() {
    assertEquals(List.of(0, 1), Scoring.order(CHEAP_AND_GOOD, ScoreWeights.ECONOMY));
  }

  @Test
  void qualityPrefersTheBetterModel() {
    assertEquals(List.of(1, 0), Scoring.order(CHEAP_AND_GOOD, ScoreWeights.QUALITY));
  }

  @Test
  void fastPrefersTheFasterTarget() {
    assertEquals(List.of(1, 0), Scoring.order(CHEAP_AND_GOOD, ScoreWeights.FAST));
  }

  @Test
  void customWeightsAreUsedDividedByTheirSum() {
    double[] raw = Scoring.scores(CHEAP_AND_GOOD, new ScoreWeights(2, 1, 1));
    double[] normal = Scoring.scores(CHEAP_AND_GOOD, new ScoreWeights(0.5, 0.25, 0.25));
    assertEquals(normal[0], raw[0], 1e-12);
    assertEquals(normal[1], raw[1], 1e-12);
  }

  @Test
  void equalScoresKeepTheRoutesOrder() {
    List<Inputs> same = List.of(target(5, 0.5, 100), target(5, 0.5, 100), target(5, 0.5, 100));
    assertEquals(List.of(0, 1, 2), Scoring.order(same, ScoreWeights.FAST));
  }

  @Test
  void aColdTargetCountsAsTheFastest() {
    List<Inputs> targets = List.of(target(5, 0.5, 100), new Inputs(OptionalLong.of(5),
        OptionalDouble.of(0.5), OptionalDouble.empty()));
    assertEquals(List.of(1, 0), Scoring.order(targets, ScoreWeights.FAST));
  }

  @Test
  void whenNothingIsMeasuredLatencySeparatesNothing() {
    Inputs cold = new Inputs(OptionalLong.of(5), OptionalDouble.of(0.5), OptionalDouble.empty());
    double[] scores = Scoring.scores(List.of(cold, cold), ScoreWeights.FAST);
    assertEquals(scores[0], scores[1]);
    assertEquals(List.of(0, 1), Scoring.order(List.of(cold, cold), ScoreWeights.FAST));
  }

  @Test
  void anUnpricedModelCountsAsTheMostExpensive() {
    List<Inputs> targets = List.of(new Inputs(OptionalLong.empty(), OptionalDouble.of(0.5),
        OptionalDouble.of(100)), target(1_000_000, 0.5, 100));
    double[] scores = Scoring.scores(targets, ScoreWeights.ECONOMY);
    assertEquals(scores[0], scores[1], 1e-12, "both count as the most expensive");
    assertEquals(List.of(0, 1), Scoring.order(targets, ScoreWeights.ECONOMY));
  }

  @Test
  void aModelWithoutAQualityScoreHasQualityZero() {
    List<Inputs> targets = List.of(new Inputs(OptionalLong.of(5), OptionalDouble.empty(),
        OptionalDouble.of(100)), target(5, 0.1, 100));
    assertEquals(List.of(1, 0), Scoring.order(targets, ScoreWeights.QUALITY));
  }

  @Test
  void presetsAreTheIssuesTable() {
    assertEquals(new ScoreWeights(0.55, 0.25, 0.20), ScoreWeights.PRESETS.get("economy"));
    assertEquals(new ScoreWeights(0.10, 0.70, 0.20), ScoreWeights.PRESETS.get("quality"));
    assertEquals(new ScoreWeights(0.15, 0.20, 0.65), ScoreWeights.PRESETS.get("fast"));
  }

  @Test
  void weightsMustNotBeNegativeNorAllZero() {
    assertThrows(IllegalArgumentException.class, () -> new ScoreWeights(-0.1, 0.5, 0.6));
    assertThrows(IllegalArgumentException.class, () -> new ScoreWeights(0, 0, 0));
  }
}
