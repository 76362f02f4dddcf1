package dev.keyward.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SpellingTest {

  @Test
  void suggestsTheNearestNameWithinTwoEdits() {
    assertEquals("tenants", Spelling.closest("tenant", List.of("agents", "tenants", "groups")));
    assertEquals("credentials", Spelling.closest("credentails", Set.of("credentials", "routes")));
  }

  @Test
  void suggestsNothingThreeEditsAway() {
    assertNull(Spelling.closest("memcached", List.of("embedded", "redis")));
    assertNull(Spelling.closest("xyz", List.of()));
  }

  @Test
  void aTieGoesToTheFirstInAlphabeticalOrderWhateverTheOrderGiven() {
    // "tput" is two edits from both input and output.
    assertEquals("input", Spelling.closest("tput", List.of("output", "input")));
    assertEquals("input", Spelling.closest("tput", List.of("input", "output")));
  }

  @Test
  void anExactNameIsItsOwnSuggestion() {
    assertEquals("daily", Spelling.closest("daily", List.of("weekly", "daily", "dail")));
  }

  @Test
  void ignoringCaseAnswersAsTheKnownNameIsSpelt() {
    assertEquals("Europe/Paris",
        Spelling.closestIgnoringCase("europe/paris", List.of("Europe/Prague", "Europe/Paris")));
    assertEquals("Europe/Paris",
        Spelling.closestIgnoringCase("EUROPE/PARSI", List.of("Europe/Paris", "America/Lima")));
    assertNull(Spelling.closest("EUROPE/PARIS", List.of("Europe/Paris")));
  }

  @Test
  void distanceStopsAtTheLimit() {
    assertEquals(1, Spelling.distance("kitten", "sitten", 5));
    assertEquals(3, Spelling.distance("kitten", "sitting", 5));
    assertEquals(2, Spelling.distance("kitten", "sitting", 2));
    assertEquals(3, Spelling.distance("a", "abcdefg", 3));
  }
}
