package dev.keyward.llm.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WeightedRoundRobinTest {

  final WeightedRoundRobin picker = new WeightedRoundRobin();

  List<Integer> picks(int[] weights, int count) {
    List<Integer> picks = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      picks.add(picker.next(weights));
    }
    return picks;
  }

  @Test
  void weightsThreeAndOneGiveAABAThenAgain() {
    assertEquals(List.of(0, 0, 1, 0, 0, 0, 1, 0), picks(new int[] {3, 1}, 8));
  }

  @Test
  void everyRunOfTheTotalWeightPicksEachTargetItsWeight() {
    int[] weights = {5, 2, 3};
    List<Integer> picks = picks(weights, 100);
    for (int start = 0; start + 10 <= picks.size(); start += 10) {
      List<Integer> run = picks.subList(start, start + 10);
      for (int target = 0; target < weights.length; target++) {
        final int t = target;
        assertEquals(weights[t], run.stream().filter(p -> p == t).count(), "run at " + start);
      }
    }
  }

  @Test
  void equalWeightsAlternateStartingWithTheFirst() {
    assertEquals(List.of(0, 1, 2, 0, 1, 2), picks(new int[] {1, 1, 1}, 6));
  }

  @Test
  void aZeroWeightIsNeverPicked() {
    assertEquals(List.of(1, 1, 1), picks(new int[] {0, 4}, 3));
  }

  @Test
  void allZeroPicksNothing() {
    assertEquals(-1, picker.next(new int[] {0, 0}));
  }

  @Test
  void changedWeightsStartAfresh() {
    picks(new int[] {3, 1}, 2);
    assertEquals(List.of(0, 1, 2), picks(new int[] {1, 1, 1}, 3));
  }
}
