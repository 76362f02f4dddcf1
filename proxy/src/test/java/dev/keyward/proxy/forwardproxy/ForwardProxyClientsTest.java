package dev.keyward.proxy.forwardproxy;

import static dev.keyward.proxy.testing.ForwardProxyHarness.API;
import static dev.keyward.proxy.testing.ForwardProxyHarness.GIT;
import static dev.keyward.proxy.testing.ForwardProxyHarness.GIT_KEY;
import static dev.keyward.proxy.testing.ForwardProxyHarness.KEY;
import static dev.keyward.proxy.testing.ForwardProxyHarness.LLM;
import static dev.keyward.proxy.testing.ForwardProxyHarness.LLM_KEY;
import static dev.keyward.proxy.testing.ForwardProxyHarness.OTHER;
import static dev.keyward.proxy.testing.ForwardProxyHarness.TUNNELLED;
import static dev.keyward.proxy.testing.ForwardProxyHarness.UNLISTED;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.testing.AuditCapture;
import dev.keyward.proxy.testing.ExternalTool;
import dev.keyward.proxy.testing.ForwardProxyHarness;
import dev.keyward.proxy.testing.GitHttpServer;
import dev.keyward.proxy.testing.NodeClients;
import dev.keyward.proxy.testing.Secrets;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real tools behind the forward proxy, configured as an agent's sandbox is: {@code HTTPS_PROXY}
 * with the platform token in it, the test CA bundle (Keyward's CA and the upstreams' own
 * certificate, nothing else), and only placeholders where the keys would go. curl, git (cloning
 * over HTTPS from git's own smart-HTTP backend) and the official OpenAI Node SDK get the real key
 * injected; none of them ever sees it. A missing tool skips its test, with the reason, unless
 * {@code KEYWARD_REQUIRE_CURL}, {@code KEYWARD_REQUIRE_GIT} or {@code KEYWARD_REQUIRE_NODE} is
 * {@code 1}.
 */
class ForwardProxyClientsTest {

  @TempDir
  static Path dir;

  static ForwardProxyHarness proxy;

  @BeforeAll
  static void start() throws Exception {
    proxy = ForwardProxyHarness.start(dir);
  }

  @AfterAll
  static void stop() throws Exception {
    proxy.close();
  }

  @BeforeEach
  void forget() {
    proxy.upstream().received().clear();
  }

  /** The sandbox's environment: the proxy with a token, the CA bundle, nothing else of ours. */
  private static Map<String, String> sandbox() throws Exception {
    String url = "http://agent-1:" + proxy.token() + "@127.0.0.1:" + proxy.proxyPort();
    Map<String, String> env = new HashMap<>();
    for (String name : List.of("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")) {
      env.put(name, url);
    }
    for (String name : List.of("NO_PROXY", "no_proxy")) {
      env.put(name, "");
    }
    String bundle = proxy.bundle().toString();
    for (String name : List.of("SSL_CERT_FILE", "CURL_CA_BUNDLE", "GIT_SSL_CAINFO",
        "NODE_EXTRA_CA_CERTS")) {
      env.put(name, bundle);
    }
    env.put("HOME", dir.toString());
    env.put("GIT_CONFIG_NOSYSTEM", "1");
    env.put("GIT_TERMINAL_PROMPT", "0");
    return env;
  }

  private static void assertNoSecret(String output) {
    assertEquals(List.of(), Secrets.foundIn(output), "a secret reached the tool's output");
    for (String key : List.of(KEY, GIT_KEY, LLM_KEY)) {
      assertFalse(output.contains(key));
    }
  }

  @Test
  void curlGetsTheKeyInjectedAndNeverSeesItEvenEchoed() throws Exception {
    ExternalTool curl = ExternalTool.require("curl", dir);
    ExternalTool.Run run = curl.run(dir, sandbox(), "-sS", "--include",
        "-H", "Authorization: Bearer " + proxy.apiPlaceholder(), "https://" + API + "/v1/user");
    assertNoSecret(run.everything());
    assertEquals(0, run.exit(), run.everything());
    assertEquals("Bearer " + KEY, proxy.upstream().only().headers().get("Authorization"));
    assertTrue(run.stdout().contains("[REDACTED]"), run.stdout());
  }

  @Test
  void curlCannotTakeAPlaceholderToAnotherHost() throws Exception {
    ExternalTool curl = ExternalTool.require("curl", dir);
    ExternalTool.Run run = curl.run(dir, sandbox(), "-sS", "-o", "/dev/null", "-w",
        "%{http_code}", "-H", "Authorization: Bearer " + proxy.apiPlaceholder(),
        "https://" + OTHER + "/v1/steal");
    assertEquals("403", run.stdout().trim(), run.everything());
    assertTrue(proxy.upstream().received().isEmpty());
  }

  @Test
  void curlReachesAnEgressHostUntouchedAndNoUnlistedOne() throws Exception {
    ExternalTool curl = ExternalTool.require("curl", dir);
    ExternalTool.Run tunnelled = curl.run(dir, sandbox(), "-sS", "https://" + TUNNELLED + "/x");
    assertEquals(0, tunnelled.exit(), tunnelled.everything());
    assertEquals(1, proxy.upstream().received().size());
    ExternalTool.Run refused = curl.run(dir, sandbox(), "-sS", "https://" + UNLISTED + "/x");
    assertTrue(refused.exit() != 0, refused.everything());
    assertTrue(refused.stderr().contains("403"), refused.everything());
    assertEquals(1, proxy.upstream().received().size());
  }

  @Test
  void curlWithoutAValidProxyTokenGets407() throws Exception {
    ExternalTool curl = ExternalTool.require("curl", dir);
    Map<String, String> env = sandbox();
    String wrong = "http://agent-1:not-a-token@127.0.0.1:" + proxy.proxyPort();
    env.put("HTTPS_PROXY", wrong);
    env.put("https_proxy", wrong);
    ExternalTool.Run run = curl.run(dir, env, "-sS", "https://" + API + "/v1/user");
    assertTrue(run.exit() != 0, run.everything());
    assertTrue(run.stderr().contains("407"), run.everything());
    assertTrue(proxy.upstream().received().isEmpty());
  }

  @Test
  void gitClonesOverHttpsWithOnlyAPlaceholder() throws Exception {
    ExternalTool git = ExternalTool.require("git", dir);
    git.requireProgram(GitHttpServer.BACKEND);
    Path source = Files.createDirectories(dir.resolve("source"));
    Map<String, String> local = Map.of("HOME", dir.toString(), "GIT_CONFIG_NOSYSTEM", "1");
    assertEquals(0, git.run(source, local, "init", "-q", "-b", "main").exit());
    Files.writeString(source.resolve("README"), "cloned through Keyward\n");
    assertEquals(0, git.run(source, local, "add", "README").exit());
    assertEquals(0, git.run(source, local, "-c", "user.name=t", "-c", "user.email=t@example.com",
        "commit", "-q", "-m", "first").exit());
    assertEquals(0, git.run(dir, local, "clone", "-q", "--bare", source.toString(),
        proxy.gitRoot().resolve("repo.git").toString()).exit());

    Path clone = dir.resolve("clone");
    ExternalTool.Run run = git.run(dir, sandbox(), "clone", "-q",
        "https://x-access-token:" + proxy.gitPlaceholder() + "@" + GIT + "/repo.git",
        clone.toString());
    assertNoSecret(run.everything());
    assertEquals(0, run.exit(), run.everything());
    assertEquals("cloned through Keyward\n", Files.readString(clone.resolve("README")));
    assertFalse(Files.readString(clone.resolve(".git/config")).contains(GIT_KEY));
    assertTrue(proxy.git().authorizations().stream().anyMatch(a -> !a.isEmpty()));
  }

  @Test
  void theOpenAiNodeSdkGetsTheKeyInjectedAndItsCallMetered() throws Exception {
    NodeClients node = NodeClients.require();
    Map<String, String> env = sandbox();
    env.put("KEYWARD_BASE_URL", "https://" + LLM + "/v1");
    env.put("KEYWARD_TOKEN", proxy.llmPlaceholder());
    env.put("KEYWARD_MESSAGE", "hello through the forward proxy");
    NodeClients.Run run = node.run("openai-forward.mjs", "chat", env);
    assertNoSecret(run.everything());
    assertNotNull(run.result(), run.describe());
    assertTrue(run.result().getBoolean("ok"), run.describe());
    assertTrue(run.result().getString("content").contains("hello through the forward proxy"),
        run.describe());
    assertEquals("Bearer " + LLM_KEY, proxy.llm().received().get(proxy.llm().received().size() - 1)
        .headers().get("Authorization"));
    AuditCapture audit = proxy.audit();
    await().atMost(Duration.ofSeconds(10)).until(() -> audit.records().stream()
        .anyMatch(r -> LLM.equals(r.getString("target_host")) && r.containsKey("usage")));
    JsonObject record = audit.first(r -> LLM.equals(r.getString("target_host"))
        && r.containsKey("usage"));
    assertEquals("openai", record.getString("credential"));
    assertEquals("openai", record.getString("route"));
  }
}
