package dev.keyward.policies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class HostsTest {

  @ParameterizedTest
  @CsvSource({
      "API.OpenRouter.AI, api.openrouter.ai",
      "api.openrouter.ai., api.openrouter.ai",
      "bücher.example, xn--bcher-kva.example",
      "127.0.0.1, 127.0.0.1",
      "[::1], [::1]",
      "[0:0:0:0:0:0:0:1], [::1]",
      "[2001:DB8:0:0:1:0:0:1], [2001:db8::1:0:0:1]",
      "[fd00:ec2:0:0:0:0:0:254], [fd00:ec2::254]",
      "[::ffff:7f00:1], [::ffff:127.0.0.1]",
  })
  void normalisesToOneComparableForm(String input, String expected) {
    assertEquals(expected, Hosts.normalize(input));
  }

  @ParameterizedTest
  @ValueSource(strings = {"2130706433", "0x7f000001", "0x7f.0.0.1", "0177.0.0.1", "127.1",
      "127.0.0.01", "256.0.0.1", "a..b", ".a", "evil.com/x", "a@b", "a b", "[::1%eth0]", "[::1",
      "[1.2.3]"})
  void refusesAmbiguousOrInvalidHosts(String input) {
    assertThrows(IllegalArgumentException.class, () -> Hosts.normalize(input));
  }
}
