package dev.keyward.proxy.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.testing.Agent;
import dev.keyward.proxy.testing.AuditCapture;
import dev.keyward.proxy.testing.ProxyHarness;
import dev.keyward.token.IssuedOperatorToken;
import dev.keyward.token.Role;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin API on its own port: operator tokens, roles, and an audit record for every call. */
class AdminApiTest {

  static final String NEW_KEY = "sk-admin-api-new-0123456789abcdef";

  @TempDir
  Path dir;

  ProxyHarness proxy;
  Agent admin;
  String operator;
  String auditor;

  @BeforeEach
  void start() throws Exception {
    proxy = ProxyHarness.start(dir, ProxyHarness.options());
    admin = new Agent(proxy.keyward().adminPort());
    operator = proxy.installation().operatorToken("olivia", Role.OPERATOR).token();
    auditor = proxy.installation().operatorToken("arthur", Role.AUDITOR).token();
  }

  @AfterEach
  void stop() throws Exception {
    proxy.close();
  }

  static String code(HttpResponse<String> response) {
    return new JsonObject(response.body()).getJsonObject("error").getString("code");
  }

  JsonObject adminRecord(String action) throws Exception {
    return new AuditCapture(dir).first(r -> action.equals(r.getString("action")));
  }

  HttpResponse<String> createCredential(String token, String id) throws Exception {
    return admin.post("/v1/credentials", token, new JsonObject()
        .put("tenant", "acme").put("id", id).put("allowed_domains", new JsonArray()
            .add("api.example.com")).put("secret", NEW_KEY).encode());
  }

  @Test
  void aCallWithoutATokenIsRefusedWith401() throws Exception {
    HttpResponse<String> response = admin.get("/v1/credentials", null);
    assertEquals(401, response.statusCode());
    assertEquals("missing_token", code(response));
  }

  @Test
  void anAgentsPlatformTokenIsNotAnOperatorToken() throws Exception {
    HttpResponse<String> response = admin.get("/v1/credentials", proxy.token());
    assertEquals(401, response.statusCode());
    assertEquals("wrong_token_type", code(response));
  }

  @Test
  void anAuditorMayListCredentials() throws Exception {
    HttpResponse<String> response = admin.get("/v1/credentials", auditor);
    assertEquals(200, response.statusCode(), response.body());
    JsonArray credentials = new JsonArray(response.body());
    assertEquals("local", credentials.getJsonObject(0).getString("id"));
  }

  @Test
  void anAuditorCannotChangeAnythingAndTheRefusalIsAudited() throws Exception {
    HttpResponse<String> response = admin.post("/v1/credentials/acme/local/disable", auditor, "");
    assertEquals(403, response.statusCode());
    assertEquals("role_not_allowed", code(response));
    JsonObject record = adminRecord("credential.disable");
    assertEquals("arthur", record.getString("operator"));
    assertEquals("credential.disable", record.getString("action"));
    assertEquals("denied", record.getString("outcome"));
    assertFalse(new JsonArray(admin.get("/v1/credentials", auditor).body()).getJsonObject(0)
        .getBoolean("disabled"));
  }

  @Test
  void everyChangeIsAuditedWithTheOperatorsName() throws Exception {
    HttpResponse<String> response = admin.post("/v1/agents", operator,
        new JsonObject().put("id", "support-bot").put("tenant", "acme").encode());
    assertEquals(200, response.statusCode(), response.body());
    JsonObject record = adminRecord("agent.create");
    assertEquals("olivia", record.getString("operator"));
    assertEquals("operator", record.getString("role"));
    assertEquals("agent.create", record.getString("action"));
    assertEquals("agent:support-bot", record.getString("resource"));
    assertEquals("ok", record.getString("outcome"));
  }

  @Test
  void aStoredSecretAppearsInNoResponseAndNoAuditRecord() throws Exception {
    HttpResponse<String> created = createCredential(operator, "fresh");
    assertEquals(200, created.statusCode(), created.body());
    assertEquals(1, new JsonObject(created.body()).getInteger("version"));
    HttpResponse<String> rotated = admin.post("/v1/credentials/acme/fresh/rotate", operator,
        new JsonObject().put("secret", NEW_KEY + "-2").encode());
    assertEquals(2, new JsonObject(rotated.body()).getInteger("version"));
    HttpResponse<String> history = admin.get("/v1/credentials/acme/fresh", auditor);
    assertEquals(2, new JsonArray(history.body()).size());
    adminRecord("credential.history");
    for (HttpResponse<String> response : List.of(created, rotated, history)) {
      assertFalse(Agent.everything(response).contains(NEW_KEY), "a response holds the secret");
    }
    assertFalse(Files.readString(dir.resolve("audit/audit.jsonl")).contains(NEW_KEY));
  }

  @Test
  void aTokenMintedByAnOperatorIsAcceptedByTheProxy() throws Exception {
    HttpResponse<String> minted = admin.post("/v1/tokens", operator, new JsonObject()
        .put("agent", "agent-7").put("tenant", "acme").put("ttl", "5m").encode());
    assertEquals(200, minted.statusCode(), minted.body());
    String token = new JsonObject(minted.body()).getString("token");
    assertEquals(200, proxy.agent().post("/r/local/chat", token, "{}").statusCode());
  }

  @Test
  void aTokenLifetimeOverTheMaximumIsA400() throws Exception {
    HttpResponse<String> minted = admin.post("/v1/tokens", operator, new JsonObject()
        .put("agent", "agent-7").put("tenant", "acme").put("ttl", "2h").encode());
    assertEquals(400, minted.statusCode());
    assertEquals("invalid_request", code(minted));
  }

  @Test
  void aRevokedOperatorTokenIsRefused() throws Exception {
    IssuedOperatorToken leaked = proxy.installation().operatorToken("mallory", Role.OPERATOR);
    HttpResponse<String> revoked = admin.post("/v1/tokens/revoke", operator,
        new JsonObject().put("jti", leaked.claims().jti()).encode());
    assertEquals(200, revoked.statusCode(), revoked.body());
    HttpResponse<String> response = admin.get("/v1/agents", leaked.token());
    assertEquals(401, response.statusCode());
    assertEquals("token_revoked", code(response));
  }

  @Test
  void theAdminApiIsNotServedOnTheAgentsPort() throws Exception {
    HttpResponse<String> response = proxy.agent().get("/v1/credentials", operator);
    assertEquals(404, response.statusCode());
  }

  @Test
  void aBodyThatIsNotJsonIsA400ThatSaysSo() throws Exception {
    HttpResponse<String> response = admin.post("/v1/agents", operator, "{not json");
    assertEquals(400, response.statusCode());
    assertEquals("invalid_request", code(response));
    assertTrue(response.body().contains("not a JSON object"), response.body());
  }

  @Test
  void aMissingFieldIsA400ThatNamesIt() throws Exception {
    HttpResponse<String> response = admin.post("/v1/credentials", operator,
        new JsonObject().put("id", "x").put("allowed_domains", new JsonArray()).encode());
    assertEquals(400, response.statusCode());
    assertTrue(new JsonObject(response.body()).getJsonObject("error").getString("message")
        .contains("'secret'"), response.body());
  }

  @Test
  void anUnknownEndpointIsA404InTheErrorShape() throws Exception {
    HttpResponse<String> response = admin.get("/v1/nothing", operator);
    assertEquals(404, response.statusCode());
    assertEquals("not_found", code(response));
  }

  @Test
  void aWrongMethodIsA405InTheErrorShape() throws Exception {
    HttpResponse<String> response = admin.send(admin.request("/v1/agents")
        .method("PUT", HttpRequest.BodyPublishers.noBody())
        .header("Authorization", "Bearer " + operator));
    assertEquals(405, response.statusCode());
    assertEquals("method_not_supported", code(response));
  }

  @Test
  void aPolicyReloadWithAnInvalidFileKeepsTheCurrentPolicy() throws Exception {
    Path policy = dir.resolve("policy.yaml");
    Files.writeString(policy, Files.readString(policy) + "\nunknown_field: 1\n");
    HttpResponse<String> response = admin.post("/v1/policy/reload", operator, "");
    assertEquals(200, response.statusCode(), response.body());
    JsonObject result = new JsonObject(response.body());
    assertFalse(result.getBoolean("ok"));
    assertTrue(result.getJsonArray("problems").encode().contains("unknown_field"), result.encode());
    assertEquals(200, proxy.agent().post("/r/local/chat", proxy.token(), "{}").statusCode());
  }

  @Test
  void anAuditorMayCheckAPolicyDocument() throws Exception {
    HttpResponse<String> response = admin.send(admin.request("/v1/policy/check")
        .header("Authorization", "Bearer " + auditor)
        .header("Content-Type", "application/yaml")
        .POST(HttpRequest.BodyPublishers.ofString("credentials:\n  - id: Bad\n")));
    assertEquals(200, response.statusCode(), response.body());
    JsonObject result = new JsonObject(response.body());
    assertFalse(result.getBoolean("ok"));
    assertEquals(2, result.getJsonArray("problems").getJsonObject(0).getInteger("line"));
  }

  @Test
  void theAuditQueryFiltersByDecision() throws Exception {
    assertEquals(200, proxy.agent().post("/r/local/chat", proxy.token(), "{}").statusCode());
    assertEquals(401, proxy.agent().post("/r/local/chat", "nope", "{}").statusCode());
    JsonArray denied = Awaitility.await("the denial in the audit trail")
        .atMost(Duration.ofSeconds(10))
        .until(() -> new JsonArray(admin.get("/v1/audit?decision=denied&since=1h", auditor).body()),
            records -> !records.isEmpty());
    assertEquals(1, denied.size(), denied.encodePrettily());
    assertEquals("malformed_token", denied.getJsonObject(0).getString("code"));
  }

  @Test
  void theOpenApiDocumentIsServedWithoutAToken() throws Exception {
    HttpResponse<String> response = admin.get("/openapi.json", null);
    assertEquals(200, response.statusCode());
    assertEquals("3.0.3", new JsonObject(response.body()).getString("openapi"));
  }
}
