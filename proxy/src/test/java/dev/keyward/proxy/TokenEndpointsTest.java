package dev.keyward.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.testing.Agent;
import dev.keyward.proxy.testing.TestInstallation;
import dev.keyward.token.PublicKeys;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** POST /v1/tokens and GET /.well-known/jwks.json through the real server. */
class TokenEndpointsTest {

  static final String POLICY = """
      credentials:
        - id: openrouter
          allowed_domains: ["openrouter.ai"]
      grants:
        - tenants: [acme]
          credentials: [openrouter]
      """;

  @TempDir
  Path dir;

  TestInstallation installation;
  Keyward keyward;
  Agent agent;
  String secret;

  @BeforeEach
  void start() throws Exception {
    installation = new TestInstallation(dir).policy(POLICY);
    secret = installation.agents().create("agent-1", "acme", Set.of("research"), "test",
        Instant.now()).secret();
    keyward = installation.start();
    agent = new Agent(keyward.port());
  }

  @AfterEach
  void stop() {
    keyward.close();
  }

  HttpResponse<String> exchange(String json) throws Exception {
    return agent.post("/v1/tokens", null, json);
  }

  static String code(HttpResponse<String> response) {
    return new JsonObject(response.body()).getJsonObject("error").getString("code");
  }

  @Test
  void exchangeAnswersLikeAnOAuthTokenEndpoint() throws Exception {
    HttpResponse<String> response = exchange(new JsonObject().put("client_id", "agent-1")
        .put("client_secret", secret).put("ttl_seconds", 300).put("purpose", "heartbeat").encode());
    assertEquals(200, response.statusCode(), response.body());
    JsonObject body = new JsonObject(response.body());
    assertEquals("Bearer", body.getString("token_type"));
    assertEquals(300, body.getInteger("expires_in"));
    assertEquals("acme", body.getString("tenant"));
    assertEquals("no-store", response.headers().firstValue("cache-control").orElse(""));
    assertFalse(response.body().contains(secret));
  }

  @Test
  void aWrongSecretIs401InvalidClient() throws Exception {
    HttpResponse<String> response = exchange(new JsonObject().put("client_id", "agent-1")
        .put("client_secret", secret + "x").encode());
    assertEquals(401, response.statusCode());
    assertEquals("invalid_client", code(response));
    assertFalse(response.body().contains(secret));
  }

  @Test
  void repeatedFailuresAreRefusedWith429AndRetryAfter() throws Exception {
    for (int i = 0; i < Keyward.EXCHANGE_FAILURES_PER_AGENT_AND_ADDRESS; i++) {
      exchange(new JsonObject().put("client_id", "agent-1").put("client_secret", "kwa_no").encode());
    }
    HttpResponse<String> response = exchange(new JsonObject().put("client_id", "agent-1")
        .put("client_secret", secret).encode());
    assertEquals(429, response.statusCode());
    assertEquals("too_many_failures", code(response));
    assertEquals("60", response.headers().firstValue("retry-after").orElse(""));
  }

  @Test
  void aLifetimeOverAnHourIs400WithAClearMessage() throws Exception {
    HttpResponse<String> response = exchange(new JsonObject().put("client_id", "agent-1")
        .put("client_secret", secret).put("ttl_seconds", 7200).encode());
    assertEquals(400, response.statusCode());
    assertEquals("ttl_too_long", code(response));
    assertTrue(response.body().contains("exceeds the maximum of 3600"), response.body());
  }

  @Test
  void aMalformedRequestIs400InvalidRequest() throws Exception {
    for (String body : new String[] {"not json", "{}", "{\"client_id\":1,\"client_secret\":\"x\"}",
        "[1,2]", "{\"client_id\":\"a\",\"client_secret\":\"b\",\"ttl_seconds\":\"10\"}"}) {
      HttpResponse<String> response = exchange(body);
      assertEquals(400, response.statusCode(), body);
      assertEquals("invalid_request", code(response), body);
    }
  }

  @Test
  void aBodyOver16KibIs413() throws Exception {
    HttpResponse<String> response = exchange("{\"client_id\":\"" + "a".repeat(20_000) + "\"}");
    assertEquals(413, response.statusCode());
    assertEquals("payload_too_large", code(response));
  }

  @Test
  void getOnTheTokenEndpointIs405WithAllow() throws Exception {
    HttpResponse<String> response = agent.get("/v1/tokens", null);
    assertEquals(405, response.statusCode());
    assertEquals("POST", response.headers().firstValue("allow").orElse(""));
  }

  @Test
  void jwksPublishesTheCurrentPublicKeys() throws Exception {
    HttpResponse<String> response = agent.get("/.well-known/jwks.json", null);
    assertEquals(200, response.statusCode());
    PublicKeys keys = PublicKeys.fromJwks(response.body(), Set.of());
    String primary = installation.signingKeys().load().orElseThrow().value().primaryKid();
    assertTrue(keys.kids().contains(primary));
    assertFalse(response.body().contains("\"d\""), "no private key material");
  }

  @Test
  void aVerifyOnlyKeywardAcceptsTheIssuersTokensButCannotMint() throws Exception {
    Path jwks = dir.resolve("jwks.json");
    Files.writeString(jwks, agent.get("/.well-known/jwks.json", null).body());
    String token = agent.exchange("agent-1", secret);
    Path other = Files.createDirectories(dir.resolve("verifier"));
    TestInstallation verifier = new TestInstallation(other).policy(POLICY).verifyOnly(jwks);
    try (Keyward verifying = verifier.start()) {
      Agent verifyingAgent = new Agent(verifying.port());
      HttpResponse<String> proxied = verifyingAgent.post("/r/nope/x", token, "{}");
      assertEquals("unknown_route", code(proxied), "the token was accepted; the route is unknown");
      HttpResponse<String> mint = verifyingAgent.post("/v1/tokens", null, new JsonObject()
          .put("client_id", "agent-1").put("client_secret", secret).encode());
      assertEquals(404, mint.statusCode(), mint.body());
      assertEquals("not_issuing", code(mint));
    }
  }

  @Test
  void theTokenEndpointIgnoresAQueryString() throws Exception {
    HttpResponse<String> response = agent.send(agent.request("/v1/tokens?x=1")
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("client_id", "agent-1")
            .put("client_secret", secret).encode())));
    assertEquals(200, response.statusCode());
  }
}
