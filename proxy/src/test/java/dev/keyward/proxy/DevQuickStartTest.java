package dev.keyward.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.cli.ExitCodes;
import dev.keyward.proxy.cli.Io;
import dev.keyward.proxy.cli.Main;
import dev.keyward.proxy.dev.DataDirectory;
import dev.keyward.proxy.dev.DemoProvider;
import dev.keyward.proxy.storage.Storage;
import dev.keyward.proxy.testing.Agent;
import dev.keyward.proxy.testing.RecordingUpstream;
import dev.keyward.proxy.testing.Secrets;
import dev.keyward.proxy.testing.ShellWords;
import dev.keyward.proxy.testing.TestTls;
import dev.keyward.vault.InsecureSecretAccess;
import dev.keyward.vault.Secret;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keyward dev} from an empty directory, then the quick start it prints, run word for word:
 * first a call through the demo route to the built-in fake provider (no provider key), then
 * store a key from stdin, mint a token, call the route. A local HTTPS server with a certificate
 * for openrouter.ai stands in for OpenRouter, reached through the {@code connect_to} setting.
 */
class DevQuickStartTest {

  static final String PROVIDER_KEY = "sk-or-v1-quickstart-5f1e2d3c4b5a69788796a5b4c3d2e1f0";

  @TempDir
  Path dir;

  Vertx vertx;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() {
    vertx.close();
  }

  /** A running {@code keyward dev} in this JVM, with its captured output. */
  static final class DevRun implements AutoCloseable {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final CountDownLatch stop = new CountDownLatch(1);
    final AtomicInteger exit = new AtomicInteger(-1);
    final Thread thread;

    DevRun(Path dataDir) throws Exception {
      Io io = new Io(InputStream.nullInputStream(), new PrintStream(out, true, StandardCharsets.UTF_8),
          new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), stop);
      thread = new Thread(() -> exit.set(Main.run(io, "dev", "--data-dir", dataDir.toString(),
          "--port", "0", "--admin-port", "0")));
      thread.start();
      Awaitility.await("keyward dev printed its quick start").atMost(Duration.ofSeconds(30))
          .until(() -> output().contains("OpenAI-compatible SDKs") || !thread.isAlive());
      if (!output().contains("OpenAI-compatible SDKs")) {
        throw new AssertionError("keyward dev printed no quick start: " + output());
      }
    }

    String output() {
      return out.toString(StandardCharsets.UTF_8);
    }

    String line(String containing) {
      return output().lines().filter(l -> l.contains(containing)).findFirst()
          .orElseThrow(() -> new AssertionError("no line with '" + containing + "' in " + output()));
    }

    @Override
    public void close() throws Exception {
      stop.countDown();
      thread.join(Duration.ofSeconds(40).toMillis());
      assertEquals(ExitCodes.OK, exit.get());
    }
  }

  /** Runs a printed {@code keyward …} command in this JVM; returns its standard output. */
  static String keyward(String commandLine, String stdin) {
    List<String> words = ShellWords.split(commandLine.trim());
    assertEquals("keyward", words.get(0), commandLine);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Io io = new Io(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), new CountDownLatch(1));
    int exit = Main.run(io, words.subList(1, words.size()).toArray(new String[0]));
    assertEquals(ExitCodes.OK, exit, commandLine + "\n" + err.toString(StandardCharsets.UTF_8));
    return out.toString(StandardCharsets.UTF_8).trim();
  }

  @Test
  void devStartsFromAnEmptyDirectoryAndCreatesOnlyEncryptedSecrets() throws Exception {
    Path data = dir.resolve("keyward-data");
    try (DevRun run = new DevRun(data)) {
      assertTrue(run.output().contains("(created now)"), run.output());
    }
    for (String file : List.of("kek.json", "policy.yaml", "keyward.yaml",
        "store/tokens/signing-keys.json")) {
      assertEquals("rw-------",
          PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve(file))), file);
    }
    assertTrue(Files.readString(data.resolve("store/tokens/signing-keys.json"))
        .contains("encryptedKeyset"));
  }

  /** The demo credential's key, read back from the store as Keyward would; registered. */
  static String demoKey(Path data) throws Exception {
    try (Storage storage = Storage.open(DataDirectory.config(data).storage(), Clock.systemUTC());
        Secret key = storage.sealer().unseal(storage.credentials(Clock.systemUTC())
            .current(DemoProvider.TENANT, "demo"))) {
      return Secrets.register(key.text(InsecureSecretAccess.get()));
    }
  }

  /**
   * The quick start's first command is a curl through the demo route; run word for word (its
   * {@code $(keyward token issue …)} first), it gets the fake provider's answer with no provider
   * key anywhere, on the first run and on the next (the stored demo key is read back).
   */
  @Test
  void theFirstPrintedCommandIsACurlThatWorksWithNoProviderKey() throws Exception {
    Path data = dir.resolve("keyward-data");
    for (int runNumber = 1; runNumber <= 2; runNumber++) {
      try (DevRun run = new DevRun(data)) {
        String curl = run.output().lines().map(String::strip)
            .filter(l -> l.startsWith("curl ") || l.startsWith("printf ")
                || l.startsWith("export ") || l.startsWith("keyward ")).findFirst().orElseThrow();
        assertTrue(curl.startsWith("curl ") && curl.contains("/r/demo/chat/completions"),
            "the quick start must begin with the demo curl: " + run.output());

        String substitution = curl.substring(curl.indexOf("$(") + 2, curl.indexOf(")\""));
        String token = keyward(substitution, "");
        List<String> words =
            ShellWords.split(curl.replace("$(" + substitution + ")", token));
        String url = words.stream().filter(w -> w.startsWith("http://")).findFirst().orElseThrow();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
            .POST(HttpRequest.BodyPublishers.ofString(words.get(words.indexOf("-d") + 1)));
        for (int i = 0; i < words.size(); i++) {
          if (words.get(i).equals("-H")) {
            String[] header = words.get(i + 1).split(":\\s*", 2);
            request.header(header[0], header[1]);
          }
        }
        HttpResponse<String> response = new Agent(0).send(request);

        String key = demoKey(data);
        assertTrue(key.startsWith("sk-demo-"));
        assertEquals(List.of(), Secrets.foundIn(Agent.everything(response) + run.output()),
            "run " + runNumber);
        assertEquals(200, response.statusCode(), response.body());
        JsonObject body = new JsonObject(response.body());
        assertEquals("You said: Say hi", body.getJsonArray("choices").getJsonObject(0)
            .getJsonObject("message").getString("content"));
        assertEquals("gpt-5-mini", body.getString("model"));
        assertEquals("gpt-5-mini", response.headers().firstValue("x-keyward-model").orElseThrow());
        assertTrue(body.getJsonObject("usage").getInteger("total_tokens") > 0);
        assertTrue(run.output().indexOf("/r/demo/") < run.output().indexOf("credential put"),
            "the demo comes before the quick start with a real provider");
      }
    }
  }

  @Test
  void thePrintedConsoleUrlServesTheSignInPage() throws Exception {
    try (DevRun run = new DevRun(dir.resolve("keyward-data"))) {
      String line = run.line("Web console: ");
      String url = line.substring(line.indexOf("http://"), line.indexOf(" (sign in"));
      assertTrue(url.endsWith("/console"), line);
      HttpResponse<String> page = new Agent(0).send(HttpRequest.newBuilder(URI.create(url
          + "/sign-in")).GET());
      assertEquals(200, page.statusCode());
      assertTrue(page.body().contains("Operator token"), page.body());
      assertTrue(line.contains("operator token --data-dir"), line);
    }
  }

  @Test
  void aDataDirectoryWithoutTheDemoRouteStillStartsAndSaysHowToGetIt() throws Exception {
    Path data = dir.resolve("keyward-data");
    new DevRun(data).close();
    String policy = Files.readString(data.resolve("policy.yaml"));
    Files.writeString(data.resolve("policy.yaml"), policy
        .replaceAll("(?s)  - name: demo\n.*?(?=  - name: openrouter)", ""));
    try (DevRun run = new DevRun(data)) {
      assertFalse(run.output().contains("/r/demo/"), run.output());
      assertTrue(run.output().contains("has no `demo` route"), run.output());
    }
  }

  @Test
  void printedQuickStartProxiesARequestWithTheKeyInjected() throws Exception {
    Path data = dir.resolve("keyward-data");
    new DevRun(data).close(); // first run: creates the data directory

    TestTls tls = TestTls.selfSigned(dir, "openrouter.ai");
    try (RecordingUpstream openrouter = RecordingUpstream.https(vertx, tls)) {
      Files.writeString(data.resolve("keyward.yaml"), Files.readString(data.resolve("keyward.yaml"))
          + "upstream:\n"
          + "  trust_ca: [\"" + tls.certificate() + "\"]\n"
          + "  connect_to: [\"openrouter.ai:443=127.0.0.1:" + openrouter.port() + "\"]\n");
      String policy = Files.readString(data.resolve("policy.yaml"));
      String openrouterDomains = "    allowed_domains: [\"openrouter.ai\", \"*.openrouter.ai\"]\n";
      assertTrue(policy.contains(openrouterDomains));
      Files.writeString(data.resolve("policy.yaml"), policy.replace(openrouterDomains,
          openrouterDomains + "    allow_addresses: [\"127.0.0.1/32\"]\n"));

      try (DevRun run = new DevRun(data)) {
        String put = run.line("credential put");
        assertTrue(put.contains("--secret-stdin"), "the key must come from stdin: " + put);
        keyward(put.substring(put.indexOf('|') + 1), PROVIDER_KEY);

        String issue = run.line("token issue");
        String token = keyward(issue.substring(issue.indexOf("$(") + 2, issue.lastIndexOf(')')), "");
        assertEquals(3, token.split("\\.").length, token);

        List<String> curl = ShellWords.split(run.line("/r/openrouter/chat/completions"));
        String url = curl.stream().filter(w -> w.startsWith("http://")).findFirst().orElseThrow();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
            .POST(HttpRequest.BodyPublishers.ofString(curl.get(curl.indexOf("-d") + 1)));
        for (int i = 0; i < curl.size(); i++) {
          if (curl.get(i).equals("-H")) {
            String[] header = curl.get(i + 1).split(":\\s*", 2);
            request.header(header[0], header[1].replace("$KEYWARD_TOKEN", token));
          }
        }
        HttpResponse<String> response = new Agent(0).send(request);

        assertEquals(200, response.statusCode(), response.body());
        RecordingUpstream.Received received = openrouter.only();
        assertEquals("/api/v1/chat/completions", received.uri());
        assertEquals("Bearer " + PROVIDER_KEY, received.headers().get("Authorization"));
        assertTrue(run.line("base_url=").contains("\"" + url.replace("/chat/completions", "")
            + "\""));
      }
    }
  }
}
