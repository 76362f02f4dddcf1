package dev.keyward.proxy.forwardproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.config.ConfigException;
import dev.keyward.proxy.config.KeywardConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The forward proxy's tunnel limits as {@code keyward.yaml} sets them. */
class TunnelLimitsConfigTest {

  @TempDir Path dir;

  private KeywardConfig load(String... forwardProxy) throws Exception {
    Path file = dir.resolve("keyward.yaml");
    Files.writeString(file, String.join("\n", "policy: policy.yaml", "kek:", "  local: kek.json",
        "store:", "  file: store", "forward_proxy:", "  listen: 127.0.0.1:3128",
        String.join("\n", forwardProxy), ""));
    return KeywardConfig.load(file, Map.of());
  }

  @Test
  void sensibleDefaultsApplyWhenNothingIsSet() throws Exception {
    assertEquals(TunnelLimits.DEFAULTS, load().forwardProxy().tunnels());
  }

  @Test
  void everyLimitCanBeSet() throws Exception {
    TunnelLimits limits = load("  tunnel_idle_timeout: 30s", "  tunnel_max_lifetime: 2h",
        "  max_tunnels: 10", "  max_tunnels_per_agent: 2").forwardProxy().tunnels();
    assertEquals(new TunnelLimits(Duration.ofSeconds(30), Duration.ofHours(2), 10, 2), limits);
  }

  @Test
  void aLimitOfNothingIsRefusedWithItsName() {
    String message = assertThrows(ConfigException.class,
        () -> load("  max_tunnels_per_agent: 0", "  tunnel_idle_timeout: 0s")).getMessage();
    assertTrue(message.contains("max_tunnels_per_agent"), message);
    assertTrue(message.contains("forward_proxy.tunnel_idle_timeout"), message);
  }
}
