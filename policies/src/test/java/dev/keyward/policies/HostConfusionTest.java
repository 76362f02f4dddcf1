package dev.keyward.policies;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Host confusions an attacker (or a prompt-injected agent) might use to send a credential to the
 * wrong place through an explicit {@code /t/<target>} URL. Every one must be denied: either the
 * target is refused as malformed, or the policy denies it.
 */
class HostConfusionTest {

  private static PolicySet policy;

  @BeforeAll
  static void load() throws Exception {
    policy = PolicyLoader.parse("confusion.yaml", """
        credentials:
          - id: openrouter
            allowed_domains: ["*.openrouter.ai"]
          - id: anthropic
            allowed_domains: ["api.anthropic.com"]
        grants:
          - tenants: [acme]
            credentials: [openrouter, anthropic]
        """);
  }

  private static boolean allowed(String credential, String authorityAndPath) {
    Target target;
    try {
      target = Targets.parseExplicit(authorityAndPath, null);
    } catch (BadTargetException e) {
      return false;
    }
    return policy.decide(new DecisionRequest("agent-1", "acme", Set.of(), credential, target, "POST"))
        .allowed();
  }

  @Test
  void theRealHostsAreAllowed() {
    assertTrue(allowed("openrouter", "api.openrouter.ai/api/v1/chat"));
    assertTrue(allowed("anthropic", "api.anthropic.com/v1/messages"));
    assertTrue(allowed("anthropic", "API.ANTHROPIC.COM./v1/messages"));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "openrouter.ai.evil.com/x",
      "api.openrouter.ai.evil.com/x",
      "evil.com/openrouter.ai",
      "evil.com/api.openrouter.ai/x",
      "openrouter.ai@evil.com/x",
      "api.openrouter.ai@evil.com/x",
      "evil.com%40api.openrouter.ai/x",
      "api.openrouter.ai%2eevil.com/x",
      "evilopenrouter.ai/x",
      "openrouter.ai/x",
      "openrouter.ai./x",
      "api.оpenrouter.ai/x",
      "api.openrouter.aі/x",
      "xn--pi-openrouter.ai/x",
      "api.openrouter.ai:8443/x",
      "api.openrouter.ai:0/x",
      "api.openrouter.ai:99999/x",
      "api.openrouter.ai\\@evil.com/x",
      "2130706433/x",
      "0x7f000001/x",
      "0x7f.0.0.1/x",
      "0177.0.0.1/x",
      "127.1/x",
      "127.0.0.1/x",
      "[::1]/x",
      "[::ffff:127.0.0.1]/x",
      "[fd00:ec2::254]/x",
      "169.254.169.254/latest/meta-data",
      "localhost/x",
      "localhost./x",
      "metadata.google.internal/computeMetadata/v1",
      "metadata/x",
      "/x",
      "api openrouter.ai/x",
  })
  void confusionsAreDeniedForOpenRouter(String target) {
    assertFalse(allowed("openrouter", target), target);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "anthropic.com/v1/messages",
      "x.api.anthropic.com/v1/messages",
      "api.anthropic.com.evil.com/v1/messages",
      "api-anthropic.com/v1/messages",
      "api.anthropic.co/v1/messages",
      "apі.anthropic.com/v1/messages",
      "evil.com/api.anthropic.com/v1/messages",
      "api.anthropic.com@evil.com/v1/messages",
      "api.anthropic.com:80/v1/messages",
  })
  void confusionsAreDeniedForAnthropic(String target) {
    assertFalse(allowed("anthropic", target), target);
  }
}
