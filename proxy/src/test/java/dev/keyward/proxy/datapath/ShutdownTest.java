package dev.keyward.proxy.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
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

  static void awaitRequest(RecordingUpstream upstream) {
    Awaitility.await("the slow request reached the upstream").atMost(Duration.ofSeconds(10))
        .until(() -> !upstream.received().isEmpty());
    assertEquals(1, upstream.received().size());
  }

  @Test
  void closingFinishesTheRequestInFlightAndRefusesNewConnections() throws Exception {
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options())) {
      CompletableFuture<Void> release = new CompletableFuture<>();
      proxy.upstream().respondWith(request -> release.thenRun(() -> proxy.vertx().runOnContext(
          v -> request.response().end("{\"slow\":true}"))));
      CompletableFuture<HttpResponse<String>> inFlight = postAsync(proxy.agent(), proxy.token());
      awaitRequest(proxy.upstream());

      CompletableFuture<Void> closing = CompletableFuture.runAsync(proxy.keyward()::close);
      Awaitility.await("new connections refused while shutting down")
          .atMost(Duration.ofSeconds(10)).until(() -> {
            try (Socket ignored = new Socket("127.0.0.1", proxy.port())) {
              return false;
            } catch (ConnectException e) {
              return true;
            }
          });
      assertFalse(inFlight.isDone(), "the request in flight was cut off");
      release.complete(null);

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
      CompletableFuture<Void> release = new CompletableFuture<>();
      upstream.respondWith(request -> release.thenRun(() -> vertx.runOnContext(
          v -> request.response().end("{}"))));
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
        Awaitility.await("the shutdown began").atMost(Duration.ofSeconds(20))
            .until(() -> Files.readString(dir.resolve("keyward.log")).contains("shutting down"));
        assertFalse(inFlight.isDone(), "the request in flight was cut off");
        release.complete(null);
        assertEquals(200, inFlight.get(10, TimeUnit.SECONDS).statusCode(),
            Files.readString(dir.resolve("keyward.log")));
        assertTrue(keyward.waitFor(20, TimeUnit.SECONDS), "the process did not exit");
      } finally {
        keyward.destroyForcibly();
      }
    } finally {
      vertx.close();
    }
  }

  static void awaitListening(int port, Process process) {
    Awaitility.await("keyward serve listening").atMost(Duration.ofSeconds(30))
        .until(() -> {
          if (!process.isAlive()) {
            throw new AssertionError("keyward serve exited with " + process.exitValue());
          }
          try (Socket ignored = new Socket("127.0.0.1", port)) {
            return true;
          } catch (IOException e) {
            return false;
          }
        });
  }
}
