package dev.keyward.proxy.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.testing.Agent;
import dev.keyward.proxy.testing.ProxyHarness;
import dev.keyward.proxy.testing.RecordingUpstream;
import dev.keyward.proxy.testing.TestInstallation;
import dev.keyward.proxy.testing.TestLogs;
import dev.keyward.vault.Injection;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stopping lets requests in flight finish and takes no new ones. */
class ShutdownTest {

  @TempDir
  Path dir;

  static CompletableFuture<HttpResponse<String>> postAsync(Agent agent, String token) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return agent.post("/r/local/chat", token, "{}");
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
  }

  static void awaitRequest(RecordingUpstream upstream) throws InterruptedException {
    for (int i = 0; i < 200 && upstream.received().isEmpty(); i++) {
      Thread.sleep(10);
    }
    assertEquals(1, upstream.received().size(), "the slow request never reached the upstream");
  }

  @Test
  void closingFinishesTheRequestInFlightAndRefusesNewConnections() throws Exception {
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options())) {
      proxy.upstream().respondWith(request -> proxy.vertx().setTimer(800,
          id -> request.response().end("{\"slow\":true}")));
      CompletableFuture<HttpResponse<String>> inFlight = postAsync(proxy.agent(), proxy.token());
      awaitRequest(proxy.upstream());

      CompletableFuture<Void> closing = CompletableFuture.runAsync(proxy.keyward()::close);
      Thread.sleep(200);
      boolean refused;
      try (Socket ignored = new Socket("127.0.0.1", proxy.port())) {
        refused = false;
      } catch (ConnectException e) {
        refused = true;
      }
      assertTrue(refused, "a new connection was accepted while shutting down");

      HttpResponse<String> finished = inFlight.get(10, TimeUnit.SECONDS);
      assertEquals(200, finished.statusCode());
      assertEquals("{\"slow\":true}", finished.body());
      closing.get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void sigtermLetsTheRequestInFlightFinishThenTheProcessExits() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (RecordingUpstream upstream = RecordingUpstream.http(vertx)) {
      upstream.respondWith(request -> vertx.setTimer(1000, id -> request.response().end("{}")));
      int port;
      try (ServerSocket free = new ServerSocket(0)) {
        port = free.getLocalPort();
      }
      TestInstallation installation = new TestInstallation(dir).policy("""
          credentials:
            - id: local
              allowed_domains: ["127.0.0.1"]
              allowed_ports: [%d]
              allow_insecure_http: true
              allow_addresses: ["127.0.0.1/32"]
          routes:
            - name: local
              upstream: http://127.0.0.1:%d/v1
              credential: local
          grants:
            - tenants: [acme]
              credentials: [local]
          """.formatted(upstream.port(), upstream.port()));
      installation.putCredential("acme", "local", ProxyHarness.KEY, List.of("127.0.0.1"),
          Injection.bearer());
      installation.configuration();
      Path config = dir.resolve("keyward.yaml");
      Files.writeString(config, Files.readString(config).replaceFirst("port: 0\n", "port: " + port + "\n"));

      Process keyward = new ProcessBuilder(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          TestLogs.optionFor("shutdown-test-process"),
          "-cp", System.getProperty("java.class.path"), "dev.keyward.proxy.cli.Main",
          "serve", "--config", config.toString())
          .redirectErrorStream(true)
          .redirectOutput(dir.resolve("keyward.log").toFile())
          .start();
      try {
        awaitListening(port, keyward);
        Agent agent = new Agent(port);
        CompletableFuture<HttpResponse<String>> inFlight =
            postAsync(agent, installation.token("agent-1", "acme").token());
        awaitRequest(upstream);

        keyward.destroy(); // SIGTERM
        assertEquals(200, inFlight.get(10, TimeUnit.SECONDS).statusCode(),
            Files.readString(dir.resolve("keyward.log")));
        assertTrue(keyward.waitFor(20, TimeUnit.SECONDS), "the process did not exit");
        assertTrue(Files.readString(dir.resolve("keyward.log")).contains("shutting down"));
      } finally {
        keyward.destroyForcibly();
      }
    } finally {
      vertx.close();
    }
  }

  static void awaitListening(int port, Process process) throws Exception {
    for (int i = 0; i < 150; i++) {
      if (!process.isAlive()) {
        throw new AssertionError("keyward serve exited with " + process.exitValue());
      }
      try (Socket ignored = new Socket("127.0.0.1", port)) {
        return;
      } catch (IOException e) {
        Thread.sleep(100);
      }
    }
    throw new AssertionError("keyward serve did not start listening within 15 s");
  }
}
