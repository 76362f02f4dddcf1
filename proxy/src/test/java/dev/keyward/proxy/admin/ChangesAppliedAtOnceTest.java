package dev.keyward.proxy.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.keyward.proxy.Keyward;
import dev.keyward.proxy.testing.Agent;
import dev.keyward.proxy.testing.ProxyHarness;
import dev.keyward.proxy.testing.Secrets;
import dev.keyward.token.Role;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A change made through the admin API is in force on the replica that made it before the call is
 * answered; another replica on the same store applies it within its refresh interval (the
 * token-state refresh, the credential cache's TTL). The background refresh is set to an hour here
 * and the credential cache's TTL to its default, so only the immediate application can pass.
 */
class ChangesAppliedAtOnceTest {

  static final String ROTATED_KEY = "sk-applied-at-once-rotated-0123456789";

  @TempDir
  Path dir;

  ProxyHarness proxy;
  Agent admin;
  String operator;

  @BeforeEach
  void start() throws Exception {
    Secrets.register(ROTATED_KEY);
    proxy = ProxyHarness.start(dir, ProxyHarness.options().refreshInterval("1h"));
    admin = proxy.admin();
    operator = proxy.installation().operatorToken("olivia", Role.OPERATOR).token();
  }

  @AfterEach
  void stop() throws Exception {
    proxy.close();
  }

  static String code(HttpResponse<String> response) {
    return new JsonObject(response.body()).getJsonObject("error").getString("code");
  }

  static String jti(String token) {
    String payload = new String(java.util.Base64.getUrlDecoder().decode(token.split("\\.")[1]));
    return new JsonObject(payload).getString("jti");
  }

  HttpResponse<String> call(String token) throws Exception {
    return proxy.agent().post("/r/local/chat", token, "{}");
  }

  @Test
  void aTokenRevokedThroughTheAdminApiIsRefusedByThisReplicaAtOnce() throws Exception {
    String token = proxy.token();
    assertEquals(200, call(token).statusCode());
    assertEquals(200, admin.post("/v1/tokens/revoke", operator,
        new JsonObject().put("jti", jti(token)).encode()).statusCode());
    HttpResponse<String> refused = call(token);
    assertEquals(401, refused.statusCode());
    assertEquals("token_revoked", code(refused));
  }

  @Test
  void aRevokedOperatorTokenIsRefusedByTheAdminApiAtOnce() throws Exception {
    String other = proxy.installation().operatorToken("mallory", Role.OPERATOR).token();
    assertEquals(200, admin.post("/v1/tokens/revoke", operator,
        new JsonObject().put("jti", jti(other)).encode()).statusCode());
    HttpResponse<String> refused = admin.get("/v1/agents", other);
    assertEquals(401, refused.statusCode());
    assertEquals("token_revoked", code(refused));
  }

  @Test
  void anAgentDisabledThroughTheAdminApiIsRefusedAtOnce() throws Exception {
    proxy.installation().agents().create("agent-1", "acme", java.util.Set.of(), "test",
        java.time.Instant.now());
    String token = proxy.token();
    assertEquals(200, call(token).statusCode());
    assertEquals(200, admin.post("/v1/agents/agent-1/disable", operator, "{}").statusCode());
    assertEquals("agent_disabled", code(call(token)));
  }

  @Test
  void aCredentialDisabledThroughTheAdminApiIsRefusedAtOnce() throws Exception {
    String token = proxy.token();
    assertEquals(200, call(token).statusCode());
    assertEquals(200, admin.post("/v1/credentials/acme/local/disable", operator, "{}")
        .statusCode());
    HttpResponse<String> refused = call(token);
    assertEquals(403, refused.statusCode());
    assertEquals("credential_disabled", code(refused));
  }

  @Test
  void aCredentialRotatedThroughTheAdminApiIsUsedAtOnce() throws Exception {
    String token = proxy.token();
    assertEquals(200, call(token).statusCode());
    assertEquals(200, admin.post("/v1/credentials/acme/local/rotate", operator,
        new JsonObject().put("secret", ROTATED_KEY).encode()).statusCode());
    proxy.upstream().received().clear();
    assertEquals(200, call(token).statusCode());
    assertEquals("Bearer " + ROTATED_KEY,
        proxy.upstream().only().headers().get("Authorization"));
  }

  @Test
  void anotherReplicaAppliesARevocationAtItsNextRefresh() throws Exception {
    try (Keyward other = proxy.installation().start()) {
      Agent agentOnOther = new Agent(other.port());
      String token = proxy.token();
      assertEquals(200, agentOnOther.post("/r/local/chat", token, "{}").statusCode());
      assertEquals(200, admin.post("/v1/tokens/revoke", operator,
          new JsonObject().put("jti", jti(token)).encode()).statusCode());
      other.refreshTokenState(); // what its tokens.refresh_interval does
      assertEquals("token_revoked", code(agentOnOther.post("/r/local/chat", token, "{}")));
    }
  }
}
