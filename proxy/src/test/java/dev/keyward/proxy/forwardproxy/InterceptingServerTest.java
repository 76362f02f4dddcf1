package dev.keyward.proxy.forwardproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.keyward.token.PlatformToken;
import dev.keyward.vault.FileKvStore;
import dev.keyward.vault.LocalKek;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The intercepting TLS server on its own, with tunnels registered by hand: it serves a tunnel
 * only to the connection that comes from the tunnel's exact address and claims it first; any
 * other local process that reaches its port is refused.
 */
class InterceptingServerTest {

  private static final String HOST = "api.tool.test";

  @TempDir
  static Path dir;

  static Vertx vertx;
  static ForwardProxy forward;
  static int port;
  static SSLContext tls;

  @BeforeAll
  static void start() throws Exception {
    LocalKek.create(dir.resolve("kek.json"));
    ForwardProxyCa ca = ForwardProxyCa.loadOrCreate(
        new FileKvStore(dir.resolve("store"), Clock.systemUTC()),
        LocalKek.load(dir.resolve("kek.json")), Clock.systemUTC());
    vertx = Vertx.vertx();
    forward = new ForwardProxy(ca, Clock.systemUTC());
    HttpServer server = vertx.createHttpServer(forward.interceptingOptions(
            new HttpServerOptions().setHost("0.0.0.0"), Duration.ofSeconds(10)))
        .connectionHandler(forward.interceptingConnections())
        .requestHandler(request -> {
          Tunnel tunnel = forward.tunnels().of(request);
          request.response().end(tunnel == null ? "none" : tunnel.host());
        });
    port = server.listen().toCompletionStage().toCompletableFuture()
        .get(30, TimeUnit.SECONDS).actualPort();
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    trust.setCertificateEntry("keyward", ca.certificate());
    TrustManagerFactory factory =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(trust);
    tls = SSLContext.getInstance("TLS");
    tls.init(null, factory.getTrustManagers(), null);
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static Tunnel tunnel() {
    Instant now = Instant.now();
    return new Tunnel("token-text", new PlatformToken("agent-1", "acme", Set.of(), "jti-1", now,
        now, now.plusSeconds(600), Optional.empty()), HOST, 443, requested -> { });
  }

  private static int freePort() throws IOException {
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return probe.getLocalPort();
    }
  }

  /** A connection from {@code fromHost:fromPort}: TLS for HOST, then one request; the body. */
  private static String ask(String fromHost, int fromPort, boolean reset) throws IOException {
    Socket raw = new Socket();
    raw.setReuseAddress(true);
    raw.bind(new InetSocketAddress(InetAddress.getByName(fromHost), fromPort));
    raw.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 10_000);
    raw.setSoTimeout(30_000);
    if (reset) {
      raw.setSoLinger(true, 0); // closes with a reset: the address is free again at once
    }
    try (SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket(raw, HOST, port,
        true)) {
      SSLParameters parameters = socket.getSSLParameters();
      parameters.setServerNames(List.of(new SNIHostName(HOST)));
      socket.setSSLParameters(parameters);
      socket.startHandshake();
      socket.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + HOST
          + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      InputStream in = socket.getInputStream();
      String response = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      if (response.isEmpty()) {
        throw new IOException("closed unanswered");
      }
      return response.substring(response.indexOf("\r\n\r\n") + 4);
    }
  }

  @Test
  void theInterceptingServerListensOnLoopbackWhateverTheBaseOptionsSay() {
    assertEquals("127.0.0.1", forward.interceptingOptions(
        new HttpServerOptions().setHost("0.0.0.0"), Duration.ofSeconds(1)).getHost());
  }

  @Test
  void theConnectionFromTheTunnelsAddressIsServedAsTheTunnel() throws Exception {
    int from = freePort();
    Tunnels.Inner inner = new Tunnels.Inner("127.0.0.1", from);
    forward.tunnels().register(inner, tunnel());
    try {
      assertEquals(HOST, ask("127.0.0.1", from, true));
    } finally {
      forward.tunnels().remove(inner);
    }
  }

  @Test
  void aConnectionFromAnotherLoopbackAddressWithTheTunnelsPortIsRefused() throws Exception {
    int from = freePort();
    Tunnels.Inner inner = new Tunnels.Inner("127.0.0.1", from);
    forward.tunnels().register(inner, tunnel());
    try {
      assertThrows(IOException.class, () -> ask("127.0.0.2", from, true));
    } finally {
      forward.tunnels().remove(inner);
    }
  }

  @Test
  void aSecondConnectionClaimingTheSameTunnelIsRefused() throws Exception {
    int from = freePort();
    Tunnels.Inner inner = new Tunnels.Inner("127.0.0.1", from);
    forward.tunnels().register(inner, tunnel());
    try {
      assertEquals(HOST, ask("127.0.0.1", from, true));
      // The first connection is gone, the tunnel not yet dropped: the address is reused.
      assertThrows(IOException.class, () -> ask("127.0.0.1", from, true));
      // The address itself is usable: a new tunnel registered for it is served.
      forward.tunnels().remove(inner);
      forward.tunnels().register(inner, tunnel());
      assertEquals(HOST, ask("127.0.0.1", from, true));
    } finally {
      forward.tunnels().remove(inner);
    }
  }

  @Test
  void aTunnelThatEndedServesNoConnection() throws Exception {
    int from = freePort();
    Tunnels.Inner inner = new Tunnels.Inner("127.0.0.1", from);
    forward.tunnels().register(inner, tunnel());
    forward.tunnels().remove(inner);
    assertEquals(0, forward.tunnels().size());
    assertThrows(IOException.class, () -> ask("127.0.0.1", from, true));
  }
}
