package dev.keyward.proxy.forwardproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.keyward.proxy.call.Call;
import dev.keyward.proxy.error.ErrorResponses;
import dev.keyward.proxy.error.ProxyException;
import dev.keyward.proxy.testing.HeldExecutor;
import dev.keyward.proxy.tokens.NewTokenVerifications;
import dev.keyward.token.SigningKeys;
import dev.keyward.token.TokenIssuer;
import dev.keyward.token.TokenRequest;
import dev.keyward.token.TokenVerifier;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * On the forward-proxy port, as on the agent port, a token the verifier has not cached is checked
 * off the event loop: a request with a cached token is answered while a new token's check is
 * held. Through a real server whose handler runs {@link ProxyAuthenticate} on plain-HTTP proxy
 * requests and answers with the agent it found.
 */
class ProxyAuthenticateOffTheLoopTest {

  static final String ISSUER = "https://keyward.test";

  Vertx vertx;
  HttpServer server;
  HttpClient client;
  HeldExecutor held;
  TokenVerifier verifier;
  TokenIssuer issuer;

  @BeforeEach
  void start() throws Exception {
    SigningKeys keys = SigningKeys.generate(Instant.now());
    issuer = new TokenIssuer(keys, ISSUER, Clock.systemUTC());
    verifier = TokenVerifier.builder().keys(keys.publicKeys()).issuer(ISSUER).build();
    held = new HeldExecutor();
    ProxyAuthenticate authenticate = new ProxyAuthenticate(verifier,
        new NewTokenVerifications(verifier, held, 16), new Tunnels());
    vertx = Vertx.vertx();
    server = vertx.createHttpServer().requestHandler(request -> {
      request.pause();
      Call call = new Call(request, "req-" + System.nanoTime(), System.nanoTime(), null);
      authenticate.onRequest(call).onComplete(done -> {
        request.resume();
        if (done.failed()) {
          ProxyException e = (ProxyException) done.cause();
          ErrorResponses.send(request.response(), e.error(), call.requestId(), e.headers());
        } else {
          request.response().end(call.token().agent());
        }
      });
    }).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    client = vertx.createHttpClient();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** A proxy request for an http:// URL, with the token as Basic credentials' password. */
  CompletableFuture<Answer> send(String token) {
    String basic = Base64.getEncoder().encodeToString(
        ("agent:" + token).getBytes(StandardCharsets.UTF_8));
    return client.request(HttpMethod.GET, server.actualPort(), "127.0.0.1",
            "http://upstream.test/v1/models")
        .compose(request -> request.putHeader(ProxyCredentials.HEADER, "Basic " + basic).send())
        .compose(response -> response.body().map(body -> new Answer(response, body.toString())))
        .toCompletionStage().toCompletableFuture();
  }

  record Answer(HttpClientResponse response, String body) {}

  static Answer answer(CompletableFuture<Answer> pending) throws Exception {
    return pending.get(10, TimeUnit.SECONDS);
  }

  String newToken(String agent) throws Exception {
    return issuer.issue(TokenRequest.of(agent, "acme")).token();
  }

  @Test
  void aCachedTokenIsAnsweredWhileANewTokensCheckIsHeldOffTheLoop() throws Exception {
    String cached = newToken("agent-cached");
    verifier.verify(cached);
    CompletableFuture<Answer> first = send(newToken("agent-new"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (held.submitted.get() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(1); // until the new token's check reaches the executor
    }
    assertEquals(1, held.submitted.get(), "the new token's check was not started");

    Answer second = answer(send(cached));
    assertEquals(200, second.response().statusCode());
    assertEquals("agent-cached", second.body());
    assertFalse(first.isDone(), "the new token's check is still held");

    held.runOne();
    assertEquals("agent-new", answer(first).body());
  }

  @Test
  void aTokenOfUnknownKeysIsAChallengeWithoutACheck() throws Exception {
    String foreign = new TokenIssuer(SigningKeys.generate(Instant.now()), ISSUER,
        Clock.systemUTC()).issue(TokenRequest.of("agent-x", "acme")).token();
    Answer refused = answer(send(foreign));
    assertEquals(407, refused.response().statusCode());
    assertEquals("Basic realm=\"keyward\"", refused.response().getHeader("Proxy-Authenticate"));
    assertEquals("unknown_key", new JsonObject(refused.body()).getJsonObject("error")
        .getString("code"));
    assertEquals(0, held.submitted.get());
  }
}
