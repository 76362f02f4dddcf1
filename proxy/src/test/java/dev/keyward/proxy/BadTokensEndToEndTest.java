package dev.keyward.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.testing.Agent;
import dev.keyward.proxy.testing.ProxyHarness;
import dev.keyward.proxy.testing.TestInstallation;
import dev.keyward.token.SigningKeys;
import dev.keyward.token.TokenForge;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every bad way to present a platform token, through the real server: each gets 401 with its own
 * stable code, never reaches the upstream, and the token is never echoed back.
 */
class BadTokensEndToEndTest {

  @TempDir
  static Path dir;

  static ProxyHarness proxy;
  static TestInstallation installation;
  static Agent agent;

  @BeforeAll
  static void start() throws Exception {
    proxy = ProxyHarness.start(dir, ProxyHarness.options());
    installation = proxy.installation();
    agent = proxy.agent();
  }

  @AfterAll
  static void stop() throws Exception {
    proxy.close();
  }

  @BeforeEach
  void forgetEarlierRequests() {
    proxy.upstream().received().clear();
  }

  static TokenForge forge() throws Exception {
    SigningKeys keys = installation.signingKeys().load().orElseThrow().value();
    return new TokenForge(keys, TestInstallation.ISSUER, Clock.systemUTC());
  }

  static HttpRequest.Builder bearer(String token) {
    return agent.request("/r/local/v1/chat").header("Authorization", "Bearer " + token);
  }

  /** Name, how to build the request (may change shared state first), expected code. */
  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("missing header", call(() -> agent.request("/r/local/v1/chat")), "missing_token"),
        Arguments.of("Basic scheme", call(() -> agent.request("/r/local/v1/chat")
            .header("Authorization", "Basic YWdlbnQ6c2VjcmV0")), "invalid_auth_scheme"),
        Arguments.of("empty token", call(() -> agent.request("/r/local/v1/chat")
            .header("Authorization", "Bearer")), "empty_token"),
        Arguments.of("garbage", call(() -> bearer(forge().garbage())), "malformed_token"),
        Arguments.of("three parts of bad base64", call(() -> bearer(forge().badBase64())),
            "bad_token_encoding"),
        Arguments.of("alg none", call(() -> bearer(forge().algNone())), "unsigned_token"),
        Arguments.of("HS256 keyed with the public key",
            call(() -> bearer(forge().hs256WithPublicKey())), "unsupported_algorithm"),
        Arguments.of("unknown kid", call(() -> bearer(forge().unknownKid())), "unknown_key"),
        Arguments.of("wrong aud", call(() -> bearer(forge().wrongAudience())), "wrong_audience"),
        Arguments.of("wrong iss", call(() -> bearer(forge().wrongIssuer())), "wrong_issuer"),
        Arguments.of("expired", call(() -> bearer(forge().expired())), "token_expired"),
        Arguments.of("nbf in the future", call(() -> bearer(forge().notYetValid())),
            "token_not_yet_valid"),
        Arguments.of("over 8 KiB", call(() -> bearer(forge().tooLarge())), "token_too_large"),
        Arguments.of("tampered signature", call(() -> bearer(forge().tamperedSignature())),
            "invalid_signature"),
        Arguments.of("revoked jti", call(() -> {
          String token = installation.token("agent-7", "acme").token();
          installation.revocations().revokeToken(jti(token), Instant.now());
          refreshNow();
          return bearer(token);
        }), "token_revoked"),
        Arguments.of("disabled agent", call(() -> {
          String token = installation.token("agent-8", "acme").token();
          installation.revocations().setAgentDisabled("agent-8", true, Instant.now());
          refreshNow();
          return bearer(token);
        }), "agent_disabled"),
        Arguments.of("key rotated out past its retention", call(() -> {
          String token = installation.token("agent-9", "acme").token();
          // Rotate as if it happened longer ago than the retention: the old key must be gone.
          installation.signingKeys().rotate(Instant.now().minus(SigningKeys.RETENTION).minusSeconds(1));
          refreshNow();
          return bearer(token);
        }), "key_retired"));
  }

  static Callable<HttpRequest.Builder> call(Callable<HttpRequest.Builder> maker) {
    return maker;
  }

  static String jti(String token) {
    String payload = new String(java.util.Base64.getUrlDecoder().decode(token.split("\\.")[1]));
    return new JsonObject(payload).getString("jti");
  }

  /** What the background refresh would do within {@code tokens.refresh_interval}, now. */
  static void refreshNow() {
    proxy.keyward().refreshTokenState();
  }

  @ParameterizedTest(name = "{0} -> 401 {2}")
  @MethodSource("cases")
  void eachBadTokenGets401WithItsOwnCode(String name, Callable<HttpRequest.Builder> maker,
      String code) throws Exception {
    HttpRequest.Builder request = maker.call().POST(HttpRequest.BodyPublishers.ofString("{}"));
    HttpRequest built = request.build();
    HttpResponse<String> response = agent.send(request);

    assertEquals(401, response.statusCode(), name + ": " + response.body());
    assertEquals(code, new JsonObject(response.body()).getJsonObject("error").getString("code"));
    assertTrue(response.headers().firstValue("www-authenticate").isPresent());
    assertTrue(proxy.upstream().received().isEmpty(), name + " reached the upstream");
    String sent = built.headers().firstValue("Authorization").orElse("");
    Function<String, String> tail = s -> s.length() > 12 ? s.substring(s.length() - 12) : "";
    if (!tail.apply(sent).isEmpty()) {
      assertFalse(Agent.everything(response).contains(tail.apply(sent)), "the token was echoed");
    }
  }
}
