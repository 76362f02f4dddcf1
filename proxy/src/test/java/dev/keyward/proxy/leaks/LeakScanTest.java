package dev.keyward.proxy.leaks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.testing.Agent;
import dev.keyward.proxy.testing.Cli;
import dev.keyward.proxy.testing.ProxyHarness;
import dev.keyward.proxy.testing.Secrets;
import dev.keyward.proxy.testing.TestLogs;
import dev.keyward.token.AgentCredentials;
import dev.keyward.token.Role;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No secret reaches a log line, a metric or an audit record. Runs after every other test class of
 * the module (see junit-platform.properties): the log it scans holds every line the whole suite
 * wrote, in production's JSON format, at DEBUG for Keyward's own loggers. Every secret the test
 * helpers handed out is searched for, as such and base64-encoded. Metrics and audit records are
 * scanned by {@link ProxyHarness#close()} for every instance of the suite, this one included.
 */
@Order(Integer.MAX_VALUE)
class LeakScanTest {

  static final String ADMIN_SECRET = "sk-leak-scan-admin-0123456789abcdef";

  @TempDir
  Path dir;

  /**
   * A tour of the paths where a secret could slip into a log: echo, failures, admin, CLI. Returns
   * the request ids of the proxied calls, which the log must show.
   */
  List<String> tour() throws Exception {
    List<String> requestIds = new ArrayList<>();
    try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.options())) {
      String token = proxy.token();
      proxy.upstream().respondWith(request -> request.response()
          .putHeader("x-echo", request.getHeader("Authorization"))
          .end("{\"echo\":\"" + request.getHeader("Authorization") + "\"}"));
      HttpResponse<String> echoed =
          proxy.agent().post("/r/local/chat?key=" + ProxyHarness.KEY, token, "{}");
      assertEquals(200, echoed.statusCode());
      requestIds.add(requestId(echoed));
      requestIds.add(requestId(proxy.agent().post("/r/local/chat", token + "x", "{}")));
      requestIds.add(requestId(proxy.agent().post("/r/local/" + token, token, "{}")));
      AgentCredentials agent = proxy.installation().agents()
          .create("leaky-agent", "acme", Set.of(), "test", Instant.now());
      Secrets.register(agent.secret());
      proxy.agent().exchange("leaky-agent", agent.secret());
      proxy.agent().post("/v1/tokens", null, new JsonObject().put("client_id", "leaky-agent")
          .put("client_secret", agent.secret() + "wrong").encode());
      String operator = proxy.installation().operatorToken("olivia", Role.OPERATOR).token();
      Agent admin = proxy.admin();
      admin.post("/v1/credentials", operator, new JsonObject().put("tenant", "acme")
          .put("id", "leaky").put("allowed_domains", new JsonArray().add("api.example.com"))
          .put("secret", Secrets.register(ADMIN_SECRET)).encode());
      admin.post("/v1/credentials/acme/leaky/rotate", operator,
          new JsonObject().put("secret", ADMIN_SECRET + "-2").encode());
      admin.post("/v1/credentials", operator, "{\"secret\":\"" + ADMIN_SECRET + "-3\",");
      Path tokenFile = dir.resolve("op.token");
      Files.writeString(tokenFile, operator);
      Cli.withStdin(ADMIN_SECRET + "-4", "credential", "rotate", "leaky", "--tenant", "acme",
          "--secret-stdin", "--admin-url", "http://127.0.0.1:" + proxy.keyward().adminPort(),
          "--operator-token-file", tokenFile.toString());
      proxy.upstream().close();
      HttpResponse<String> failed = proxy.agent().post("/r/local/chat", token, "{}");
      assertEquals(502, failed.statusCode());
      requestIds.add(requestId(failed));
    }
    return requestIds;
  }

  static String requestId(HttpResponse<String> response) {
    return response.headers().firstValue("x-request-id").orElseThrow();
  }

  @Test
  void noSecretAppearsInAnyLogLineOfTheSuite() throws Exception {
    List<String> requestIds = tour();
    List<Path> logs;
    try (Stream<Path> files = Files.list(TestLogs.DIR)) {
      logs = files.filter(f -> f.toString().endsWith(".jsonl")).sorted().toList();
    }
    StringBuilder all = new StringBuilder();
    for (Path file : logs) {
      String log = Files.readString(file, StandardCharsets.UTF_8);
      assertEquals(-1, log.indexOf('\0'), file + " was overwritten while being written");
      all.append(log);
      assertEquals(List.of(), Secrets.foundIn(log), "secrets in " + file);
    }
    // The scan means something only if the log holds the suite's lines, DEBUG included.
    for (String requestId : requestIds) {
      assertTrue(all.indexOf(requestId) >= 0, "the log misses request " + requestId);
    }
    Set<String> loggers = new TreeSet<>();
    all.toString().lines().filter(line -> line.startsWith("{"))
        .map(line -> new JsonObject(line).getString("loggerName", "")).forEach(loggers::add);
    assertTrue(loggers.containsAll(List.of("dev.keyward.proxy.Keyward",
        "dev.keyward.proxy.stage.RecordOutcome", "dev.keyward.proxy.tokens.TokenState")),
        "the log misses whole parts of Keyward: " + loggers);
    assertTrue(Secrets.count() > 10, "too few secrets registered: " + Secrets.count());
  }
}
