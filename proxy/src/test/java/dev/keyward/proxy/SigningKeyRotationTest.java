package dev.keyward.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.keyward.proxy.testing.Agent;
import dev.keyward.proxy.testing.ProxyHarness;
import dev.keyward.proxy.testing.TestInstallation;
import dev.keyward.token.PublicKeys;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A signing-key rotation written to the store, as `keyward token rotate-signing-key` does. */
class SigningKeyRotationTest {

  @TempDir
  Path dir;

  ProxyHarness proxy;
  TestInstallation installation;
  Agent agent;

  @BeforeEach
  void start() throws Exception {
    proxy = ProxyHarness.start(dir, ProxyHarness.options());
    installation = proxy.installation();
    agent = proxy.agent();
  }

  @AfterEach
  void stop() throws Exception {
    proxy.close();
  }

  @Test
  void tokensSignedBeforeARotationKeepWorkingAndNewOnesUseTheNewKey() throws Exception {
    String secret = installation.agents().create("agent-1", "acme", Set.of(), "test",
        Instant.now()).secret();
    String before = agent.exchange("agent-1", secret);
    String oldKid = installation.signingKeys().load().orElseThrow().value().primaryKid();

    installation.signingKeys().rotate(Instant.now());
    String newKid = installation.signingKeys().load().orElseThrow().value().primaryKid();
    PublicKeys published = awaitPublished(newKid);

    String after = agent.exchange("agent-1", secret);
    assertEquals(Set.of(oldKid, newKid), published.kids());
    assertNotEquals(kid(before), kid(after));
    assertEquals(newKid, kid(after));
    assertEquals(200, agent.post("/r/local/v1/chat", before, "{}").statusCode());
    assertEquals(200, agent.post("/r/local/v1/chat", after, "{}").statusCode());
  }

  /** The JWKS once the background refresh (every 100ms here) has published the new key. */
  PublicKeys awaitPublished(String kid) {
    return Awaitility.await("the rotated key published").atMost(Duration.ofSeconds(10))
        .until(() -> PublicKeys.fromJwks(agent.get("/.well-known/jwks.json", null).body(),
            Set.of()), keys -> keys.kids().contains(kid));
  }

  static String kid(String token) {
    String header = new String(java.util.Base64.getUrlDecoder().decode(token.split("\\.")[0]));
    return new io.vertx.core.json.JsonObject(header).getString("kid");
  }
}
