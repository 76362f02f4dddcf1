package dev.keyward.llm.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LatencyAverageTest {

  static final Duration HALF_LIFE = Duration.ofSeconds(60);

  final LatencyAverage average = new LatencyAverage();

  @Test
  void isEmptyUntilMeasured() {
    assertTrue(average.millis(0, HALF_LIFE).isEmpty());
  }

  @Test
  void theFirstMeasurementIsTheAverage() {
    average.record(120, 0, HALF_LIFE);
    assertEquals(120, average.millis(0, HALF_LIFE).getAsDouble(), 1e-9);
  }

  @Test
  void measurementsCloseTogetherMoveItTheMinimumStep() {
    average.record(100, 0, HALF_LIFE);
    average.record(1100, 0, HALF_LIFE);
    assertEquals(100 + LatencyAverage.MIN_STEP * 1000, average.millis(0, HALF_LIFE).getAsDouble(),
        1e-9);
  }

  @Test
  void anOldAverageWeighsLessByHalfEveryHalfLife() {
    average.record(100, 0, HALF_LIFE);
    average.record(1100, 120_000, HALF_LIFE); // two half-lives: the old average keeps a quarter
    assertEquals(0.25 * 100 + 0.75 * 1100, average.millis(120_000, HALF_LIFE).getAsDouble(), 1e-9);
  }

  @Test
  void anAverageNotUpdatedForTenHalfLivesIsForgotten() {
    average.record(100, 0, HALF_LIFE);
    assertTrue(average.millis(599_999, HALF_LIFE).isPresent());
    assertTrue(average.millis(600_000, HALF_LIFE).isEmpty());
    average.record(40, 600_000, HALF_LIFE);
    assertEquals(40, average.millis(600_000, HALF_LIFE).getAsDouble(), 1e-9);
  }

  @Test
  void aTargetTurningSlowShowsWithinAFewCalls() {
    for (int i = 0; i < 20; i++) {
      average.record(50, i, HALF_LIFE);
    }
    for (int i = 0; i < 3; i++) {
      average.record(2000, 100 + i, HALF_LIFE);
    }
    assertTrue(average.millis(200, HALF_LIFE).getAsDouble() > 1000,
        "three slow answers in a row weigh more than twenty fast ones before them");
  }
}
