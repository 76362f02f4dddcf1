package dev.keyward.policies;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DomainPatternTest {

  @Test
  void exactPatternMatchesOnlyThatHost() {
    DomainPattern pattern = DomainPattern.parse("api.anthropic.com");
    assertTrue(pattern.matches("api.anthropic.com"));
    assertFalse(pattern.matches("anthropic.com"));
    assertFalse(pattern.matches("x.api.anthropic.com"));
  }

  @Test
  void wildcardMatchesSubdomainsAtAnyDepth() {
    DomainPattern pattern = DomainPattern.parse("*.openrouter.ai");
    assertTrue(pattern.matches("api.openrouter.ai"));
    assertTrue(pattern.matches("a.b.openrouter.ai"));
  }

  @Test
  void deniesWildcardThatWouldMatchTheBareDomain() {
    assertFalse(DomainPattern.parse("*.openrouter.ai").matches("openrouter.ai"));
  }

  @Test
  void wildcardDoesNotMatchASuffixThatIsNotALabel() {
    assertFalse(DomainPattern.parse("*.openrouter.ai").matches("evilopenrouter.ai"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"*", "*.ai", "*openrouter.ai", "api.*.com", "*.*.com", "api.openrouter.*",
      "https://api.openrouter.ai", "api.openrouter.ai:443", "api.openrouter.ai/v1",
      "user@api.openrouter.ai", "API.openrouter.ai", "api.openrouter.ai.", "*.127.0.0.1", ""})
  void refusesPatternsThatAreAmbiguousOrTooBroad(String text) {
    assertThrows(IllegalArgumentException.class, () -> DomainPattern.parse(text));
  }
}
