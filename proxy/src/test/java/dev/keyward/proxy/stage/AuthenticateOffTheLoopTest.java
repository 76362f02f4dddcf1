package dev.keyward.proxy.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.call.Call;
import dev.keyward.proxy.error.ErrorResponses;
import dev.keyward.proxy.error.ProxyException;
import dev.keyward.proxy.testing.HeldExecutor;
import dev.keyward.proxy.tokens.NewTokenVerifications;
import dev.keyward.token.SigningKeys;
import dev.keyward.token.TokenForge;
import dev.keyward.token.TokenIssuer;
import dev.keyward.token.TokenRequest;
import dev.keyward.token.TokenVerifier;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A new token's signature is checked off the event loop, one check per token however many
 * requests present it, with a bound on the checks waiting: through a real server on one event
 * loop, whose "upstream" is a counter reached only when {@link Authenticate} lets the request
 * through. The signature checks run when the test releases them (a held executor), never before.
 */
class AuthenticateOffTheLoopTest {

  static final String ISSUER = "https://keyward.test";
  static final int MAX_PENDING = 3;
  static final Duration WAIT = Duration.ofSeconds(10);

  Vertx vertx;
  HttpServer server;
  HeldExecutor held;
  TokenVerifier verifier;
  TokenIssuer issuer;
  TokenForge forge;
  AtomicInteger reachedUpstream;
  AtomicInteger answeredOffTheLoop;
  Semaphore authenticated; // a permit per request whose onRequest has returned
  HttpClient client;

  @BeforeEach
  void start() throws Exception {
    SigningKeys keys = SigningKeys.generate(Instant.now());
    issuer = new TokenIssuer(keys, ISSUER, Clock.systemUTC());
    forge = new TokenForge(keys, ISSUER, Clock.systemUTC());
    verifier = TokenVerifier.builder().keys(keys.publicKeys()).issuer(ISSUER).build();
    held = new HeldExecutor();
    Authenticate authenticate =
        new Authenticate(verifier, new NewTokenVerifications(verifier, held, MAX_PENDING));
    reachedUpstream = new AtomicInteger();
    answeredOffTheLoop = new AtomicInteger();
    authenticated = new Semaphore(0);
    vertx = Vertx.vertx();
    server = vertx.createHttpServer().requestHandler(request -> {
      request.pause();
      Call call = new Call(request, "req-" + System.nanoTime(), System.nanoTime(), null);
      authenticate.onRequest(call).onComplete(done -> {
        if (!Context.isOnEventLoopThread()) {
          answeredOffTheLoop.incrementAndGet();
        }
        if (done.failed()) {
          ProxyException e = (ProxyException) done.cause();
          request.resume();
          ErrorResponses.send(request.response(), e.error(), call.requestId(), e.headers());
        } else {
          reachedUpstream.incrementAndGet();
          request.response().end(call.token().agent());
        }
      });
      authenticated.release();
    }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get();
    client = HttpClient.newHttpClient();
  }

  @AfterEach
  void stop() throws Exception {
    assertEquals(0, answeredOffTheLoop.get(), "a request continued off its event loop");
    vertx.close().toCompletionStage().toCompletableFuture().get();
  }

  CompletableFuture<HttpResponse<String>> send(String token) {
    return client.sendAsync(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + server.actualPort() + "/r/local/v1/chat"))
        .header("Authorization", "Bearer " + token).timeout(WAIT).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Waits until {@code n} more requests have been through {@code onRequest}. */
  void awaitAuthenticating(int n) throws InterruptedException {
    assertTrue(authenticated.tryAcquire(n, WAIT.toSeconds(), TimeUnit.SECONDS));
  }

  static HttpResponse<String> answer(CompletableFuture<HttpResponse<String>> pending)
      throws Exception {
    return pending.get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  static String code(HttpResponse<String> response) {
    return new JsonObject(response.body()).getJsonObject("error").getString("code");
  }

  String newToken(String agent) throws Exception {
    return issuer.issue(TokenRequest.of(agent, "acme")).token();
  }

  @Test
  void cachedTokenIsAnsweredWhileANewTokensVerificationIsHeld() throws Exception {
    String cached = newToken("agent-cached");
    verifier.verify(cached);
    CompletableFuture<HttpResponse<String>> first = send(newToken("agent-new"));
    awaitAuthenticating(1);

    HttpResponse<String> second = answer(send(cached));
    assertEquals(200, second.statusCode());
    assertEquals("agent-cached", second.body());
    assertFalse(first.isDone(), "the new token's check is still held");

    held.runOne();
    assertEquals("agent-new", answer(first).body());
    assertEquals(2, reachedUpstream.get());
  }

  @Test
  void sameNewTokenFromConcurrentRequestsIsVerifiedOnce() throws Exception {
    String token = newToken("agent-1");
    List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      answers.add(send(token));
    }
    awaitAuthenticating(8);
    assertEquals(1, held.submitted.get());

    held.runOne();
    for (CompletableFuture<HttpResponse<String>> pending : answers) {
      assertEquals(200, answer(pending).statusCode());
    }
    assertEquals(1, held.submitted.get(), "one signature check");
    assertEquals(1, verifier.cachedTokens());
    assertEquals(8, reachedUpstream.get());
  }

  @Test
  void newTokensBeyondTheBoundAreRefusedAndNeverReachTheUpstream() throws Exception {
    List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
    for (int i = 0; i < MAX_PENDING; i++) {
      waiting.add(send(newToken("agent-" + i)));
    }
    awaitAuthenticating(MAX_PENDING);

    HttpResponse<String> refused = answer(send(newToken("agent-flood")));
    assertEquals(503, refused.statusCode());
    assertEquals("token_verification_busy", code(refused));
    assertEquals("1", refused.headers().firstValue("Retry-After").orElse(null));
    assertEquals(0, reachedUpstream.get());
    assertEquals(MAX_PENDING, held.submitted.get(), "the refused token was not queued");

    for (int i = 0; i < MAX_PENDING; i++) {
      held.runOne();
    }
    for (CompletableFuture<HttpResponse<String>> pending : waiting) {
      assertEquals(200, answer(pending).statusCode());
    }
    // Room again once the checks are done.
    CompletableFuture<HttpResponse<String>> after = send(newToken("agent-after"));
    held.runOne();
    assertEquals(200, answer(after).statusCode());
  }

  @Test
  void forgedTokenIsRefusedAfterItsCheckAndNeverCached() throws Exception {
    String forged = forge.tamperedSignature();
    for (int i = 0; i < 2; i++) {
      CompletableFuture<HttpResponse<String>> pending = send(forged);
      held.runOne();
      HttpResponse<String> refused = answer(pending);
      assertEquals(401, refused.statusCode());
      assertEquals("invalid_signature", code(refused));
    }
    assertEquals(2, held.submitted.get(), "a refusal is not remembered as valid");
    assertNull(verifier.verifyCached(forged));
    assertEquals(0, reachedUpstream.get());
  }

  @Test
  void malformedTokenIsRefusedOnTheLoopWithoutACheck() throws Exception {
    for (String token : List.of(forge.garbage(), forge.algNone(), forge.expired())) {
      HttpResponse<String> refused = answer(send(token));
      assertEquals(401, refused.statusCode());
    }
    assertEquals(0, held.submitted.get());
    assertEquals(0, reachedUpstream.get());
  }
}
