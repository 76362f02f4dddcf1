package dev.keyward.proxy.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A credential injected as a query parameter replaces every parameter the agent sent under the
 * same name, whatever its case or percent-encoding: an upstream that reads the first {@code
 * KEY=} would otherwise use the agent's value, or see two keys.
 */
class InjectQueryTest {

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"key=mine", "KEY=mine", "Key=mine", "kEy=mine", "%6Bey=mine",
      "%4B%45%59=mine", "k%65y=mine", "%6b%65%79=mine", "key", "KEY", "key=", "%4bey"})
  void everyVariantOfTheNameTheAgentSentIsDropped(String agentParameter) {
    assertEquals("alt=json&key=injected",
        UnsealAndInject.withParameter(agentParameter + "&alt=json", "key", "injected"));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"keys=x", "monkey=x", "key2=x", "ke%79s=x"})
  void otherNamesStay(String agentParameter) {
    assertEquals(agentParameter + "&key=injected",
        UnsealAndInject.withParameter(agentParameter, "key", "injected"));
  }
}
