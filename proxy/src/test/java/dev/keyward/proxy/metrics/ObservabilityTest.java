package dev.keyward.proxy.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.testing.ProxyHarness;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Metrics and probes on the admin port, as Prometheus and Kubernetes read them. */
class ObservabilityTest {

  @TempDir
  Path dir;

  ProxyHarness proxy;
  String token;

  @BeforeEach
  void start() throws Exception {
    proxy = ProxyHarness.start(dir, ProxyHarness.options());
    token = proxy.token();
  }

  @AfterEach
  void stop() throws Exception {
    proxy.close();
  }

  /** The value of the first sample whose line starts with {@code prefix}. */
  static double sample(String metrics, String prefix) {
    Matcher m = Pattern.compile("^" + Pattern.quote(prefix) + "[^\\n]* ([0-9.eE+-]+)$",
        Pattern.MULTILINE).matcher(metrics);
    if (!m.find()) {
      throw new AssertionError("no sample " + prefix + " in:\n" + metrics);
    }
    return Double.parseDouble(m.group(1));
  }

  /**
   * The metrics once {@code requests} requests have been counted: a request is counted when it
   * has ended on Keyward's side, which may be a moment after the agent has its response.
   */
  String metricsOnceCounted(int requests) {
    return Awaitility.await(requests + " requests counted").atMost(Duration.ofSeconds(10))
        .until(proxy::metrics, metrics -> Pattern.compile("^keyward_requests_total\\{[^\\n]* "
            + "([0-9.eE+-]+)$", Pattern.MULTILINE).matcher(metrics).results()
            .mapToDouble(m -> Double.parseDouble(m.group(1))).sum() >= requests);
  }

  @Test
  void requestsAreCountedByRouteDecisionCodeAndStatus() throws Exception {
    assertEquals(200, proxy.agent().post("/r/local/chat", token, "{}").statusCode());
    assertEquals(401, proxy.agent().post("/r/local/chat", "nope", "{}").statusCode());
    String metrics = metricsOnceCounted(2);
    assertEquals(1.0, sample(metrics,
        "keyward_requests_total{code=\"allowed\",decision=\"allowed\",route=\"local\",status=\"200\"}"));
    assertEquals(1.0, sample(metrics,
        "keyward_requests_total{code=\"malformed_token\",decision=\"denied\",route=\"none\",status=\"401\"}"));
  }

  @Test
  void totalAndUpstreamLatencyAreHistogramsPerRoute() throws Exception {
    assertEquals(200, proxy.agent().post("/r/local/chat", token, "{}").statusCode());
    String metrics = metricsOnceCounted(1);
    assertEquals(1.0, sample(metrics, "keyward_request_duration_seconds_count{route=\"local\"}"));
    assertEquals(1.0, sample(metrics, "keyward_upstream_duration_seconds_count{route=\"local\"}"));
    assertEquals(1.0, sample(metrics,
        "keyward_request_duration_seconds_bucket{route=\"local\",le=\"+Inf\"}"));
  }

  @Test
  void tokenAndCredentialCacheHitsAreCounted() throws Exception {
    for (int i = 0; i < 3; i++) {
      assertEquals(200, proxy.agent().post("/r/local/chat", token, "{}").statusCode());
    }
    String metrics = proxy.metrics();
    assertEquals(2.0, sample(metrics, "keyward_token_cache_requests_total{result=\"hit\"}"));
    assertEquals(1.0, sample(metrics, "keyward_token_cache_requests_total{result=\"miss\"}"));
    assertEquals(2.0, sample(metrics, "keyward_credential_cache_requests_total{result=\"hit\"}"));
    assertTrue(sample(metrics, "keyward_credential_cache_oldest_age_seconds") < 60);
  }

  @Test
  void aRefusedPolicyReloadIsCounted() throws Exception {
    Path policy = dir.resolve("policy.yaml");
    Files.writeString(policy, Files.readString(policy) + "\nnot_a_field: 1\n");
    assertTrue(proxy.keyward().reloadPolicy().failed());
    assertEquals(1.0, sample(proxy.metrics(), "keyward_policy_reload_failures_total"));
  }

  @Test
  void vertxPoolAndJvmMetricsAreThere() throws Exception {
    assertEquals(200, proxy.agent().post("/r/local/chat", token, "{}").statusCode());
    String metrics = proxy.metrics();
    assertTrue(metrics.contains("vertx_pool_"), "Vert.x pool metrics");
    assertTrue(metrics.contains("jvm_memory_used_bytes"), "JVM metrics");
    assertTrue(metrics.contains("process_cpu_usage"), "process metrics");
  }

  @Test
  void garbageCollectionsAreCountedPerCollector() throws Exception {
    System.gc();
    String metrics = proxy.metrics();
    assertTrue(metrics.contains("jvm_gc_collections_total{"), "collections per collector");
    assertTrue(metrics.contains("jvm_gc_collection_time_seconds_total{"), "time per collector");
  }

  @Test
  void noLabelCarriesAPathARouteNameOrAHostAnAgentChose() throws Exception {
    proxy.agent().post("/r/local/chosen-path-segment", token, "{}");
    proxy.agent().post("/r/chosen-route-name/x", token, "{}");
    proxy.agent().post("/t/chosen-host.example/x", token, "{}");
    String metrics = metricsOnceCounted(3);
    for (String chosen : new String[] {"chosen-path-segment", "chosen-route-name",
        "chosen-host"}) {
      assertFalse(metrics.contains(chosen), chosen + " became a label");
    }
  }

  @Test
  void healthzSaysAlive() throws Exception {
    HttpResponse<String> response = proxy.admin().get("/healthz", null);
    assertEquals(200, response.statusCode());
    assertEquals("alive", new JsonObject(response.body()).getString("status"));
  }

  @Test
  void readyzListsItsChecksWhenReady() throws Exception {
    HttpResponse<String> response = proxy.admin().get("/readyz", null);
    assertEquals(200, response.statusCode(), response.body());
    JsonObject checks = new JsonObject(response.body()).getJsonObject("checks");
    assertEquals(new JsonObject().put("serving", "ok").put("audit", "ok").put("store", "ok")
        .put("budgets", "ok"), checks);
    assertEquals(1.0, sample(proxy.metrics(), "keyward_ready"));
  }

  @Test
  void probesAndMetricsAreNotOnTheAgentsPort() throws Exception {
    for (String path : new String[] {"/metrics", "/healthz", "/readyz"}) {
      assertEquals(404, proxy.agent().get(path, null).statusCode(), path);
    }
  }
}
