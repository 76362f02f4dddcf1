package dev.keyward.proxy.forwardproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.keyward.policies.PolicyLoader;
import dev.keyward.policies.PolicySet;
import dev.keyward.proxy.call.Call;
import dev.keyward.proxy.error.ProxyException;
import dev.keyward.proxy.storage.Storage;
import dev.keyward.proxy.testing.ProxyClient;
import dev.keyward.proxy.testing.TestInstallation;
import dev.keyward.token.PlatformToken;
import dev.keyward.vault.CredentialStore;
import dev.keyward.vault.CredentialStoreException;
import dev.keyward.vault.Injection;
import dev.keyward.vault.SealedCredentialCache;
import dev.keyward.vault.Tickers;
import io.vertx.core.Vertx;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The forward proxy's placeholder lookup when the credential store fails: the request is refused
 * with {@code 503 credential_unavailable}, never taken for one without a placeholder (sent on
 * without a key) nor for another credential's (refused as exfiltration).
 */
class ForwardResolveStoreTest {

  private static final String HOST = "api.tool.test";

  @TempDir
  static Path dir;

  static Vertx vertx;
  static ExecutorService io;
  static Storage storage;
  static ProxyClient client;
  static String placeholder;
  static final AtomicBoolean storeDown = new AtomicBoolean();
  static final AtomicReference<ForwardResolve> resolver = new AtomicReference<>();
  static CredentialStore failingStore;

  @BeforeAll
  static void start() throws Exception {
    TestInstallation installation = new TestInstallation(dir).policy("""
        credentials:
          - id: api
            allowed_domains: ["%s"]
            allowed_ports: [80]
            allow_insecure_http: true
        grants:
          - tenants: [acme]
            credentials: [api]
        """.formatted(HOST));
    placeholder = installation.putCredential("acme", "api", "sk-store-test-0123456789abcdef",
        List.of(HOST), Injection.bearer()).placeholder();
    PolicySet policy = PolicyLoader.load(dir.resolve("policy.yaml"));
    storage = installation.storage();
    CredentialStore real = storage.credentials(Clock.systemUTC());
    // The store as a replica sees it when Vault is unreachable: every read fails.
    CredentialStore store = (CredentialStore) Proxy.newProxyInstance(
        CredentialStore.class.getClassLoader(), new Class<?>[] {CredentialStore.class},
        (self, method, args) -> {
          if (storeDown.get()) {
            throw new CredentialStoreException(CredentialStoreException.Reason.UNAVAILABLE,
                "the store is down");
          }
          try {
            return method.invoke(real, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
    io = Executors.newFixedThreadPool(2);
    failingStore = store;
    vertx = Vertx.vertx();
    int port = vertx.createHttpServer().requestHandler(request -> {
      Call call = new Call(request, "request-1", System.nanoTime(), policy);
      Instant now = Instant.now();
      call.token(new PlatformToken("agent-1", "acme", Set.of(), "jti-1", now, now,
          now.plusSeconds(600), Optional.empty()));
      resolver.get().onRequest(call).onComplete(done -> {
        if (done.succeeded()) {
          request.response().end("resolved '" + call.credentialId() + "'");
        } else if (done.cause() instanceof ProxyException e) {
          request.response().setStatusCode(e.error().status()).end(e.error().code());
        } else {
          request.response().setStatusCode(500).end(String.valueOf(done.cause()));
        }
      });
    }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture()
        .get(30, TimeUnit.SECONDS).actualPort();
    client = new ProxyClient(port);
  }

  /** A fresh cache for each test: nothing an earlier test read is cached. */
  @BeforeEach
  void emptyCache() {
    resolver.set(new ForwardResolve(new Tunnels(), new SealedCredentialCache(
        failingStore, storage.sealer(), io, Duration.ofSeconds(30),
        Duration.ofMinutes(10), 100, Tickers.of(Clock.systemUTC())), 1024 * 1024));
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    io.shutdownNow();
    storage.close();
  }

  private static ProxyClient.Response withPlaceholder() throws Exception {
    return client.http("http://" + HOST + "/v1/user", null,
        Map.of("Authorization", "Bearer " + placeholder));
  }

  @Test
  void aPlaceholderThatCannotBeResolvedWhileTheStoreFailsIs503CredentialUnavailable()
      throws Exception {
    storeDown.set(true);
    try {
      ProxyClient.Response response = withPlaceholder();
      assertEquals(503, response.status(), response.everything());
      assertEquals("credential_unavailable", response.body());
    } finally {
      storeDown.set(false);
    }
  }

  @Test
  void withTheStoreUpThePlaceholderSelectsItsCredential() throws Exception {
    ProxyClient.Response response = withPlaceholder();
    assertEquals(200, response.status(), response.everything());
    assertEquals("resolved 'api'", response.body());
  }

  @Test
  void aRequestWithoutAPlaceholderNeedsNoStore() throws Exception {
    storeDown.set(true);
    try {
      ProxyClient.Response response = client.http("http://" + HOST + "/v1/user", null, Map.of());
      assertEquals("resolved ''", response.body());
    } finally {
      storeDown.set(false);
    }
  }
}
