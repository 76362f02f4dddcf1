package dev.keyward.proxy.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.keyward.vault.Injection;
import io.vertx.core.MultiMap;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * No header that some upstream honours as a rewrite of the path, host or method crosses the
 * proxy: the policy decided on the request as the agent sent it. One case per header.
 */
class RoutingOverridesTest {

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"X-Original-URL", "X-Rewrite-URL", "X-Override-URL", "X-Original-URI",
      "X-Forwarded-URI", "X-Forwarded-Path", "X-Forwarded-Prefix", "X-Original-Host", "X-Host",
      "X-Forwarded-Server", "X-Envoy-Original-Path", "X-HTTP-Method-Override", "X-HTTP-Method",
      "X-Method-Override", "X-Original-Method", "X-Forwarded-Host"})
  void isDroppedEvenWhenTheAgentsNetworkHeadersAreForwarded(String name) {
    MultiMap agent = MultiMap.caseInsensitiveMultiMap().add(name, "/admin/delete-everything")
        .add(name.toLowerCase(Locale.ROOT), "DELETE").add("X-Kept", "yes");
    MultiMap upstream = new HeaderHygiene(true).toUpstream(agent, Injection.bearer());
    assertNull(upstream.get(name), name + " reached the upstream");
    assertEquals("yes", upstream.get("X-Kept"));
  }

  @Test
  void theListHasNoEntryWithoutItsTest() {
    assertEquals(16, HeaderHygiene.ROUTING_OVERRIDES.size(),
        "a header was added to or removed from ROUTING_OVERRIDES: update the cases above");
    assertEquals(Set.copyOf(HeaderHygiene.ROUTING_OVERRIDES),
        Set.copyOf(HeaderHygiene.ROUTING_OVERRIDES.stream().map(String::toLowerCase).toList()));
  }
}
