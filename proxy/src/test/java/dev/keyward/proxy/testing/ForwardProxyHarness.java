package dev.keyward.proxy.testing;

import dev.keyward.proxy.Keyward;
import dev.keyward.proxy.dev.FakeProvider;
import dev.keyward.proxy.forwardproxy.ForwardProxyCa;
import dev.keyward.proxy.storage.Storage;
import dev.keyward.vault.Injection;
import dev.keyward.vault.Secret;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Keyward with its forward proxy on, in front of one HTTPS upstream on 127.0.0.1 that answers for
 * every test host ({@code upstream.connect_to} sends them all there) and echoes what it got:
 * <ul>
 *   <li>{@value #API} and {@value #OTHER}: credentials {@code api} (Bearer) and {@code other}
 *       (x-api-key), intercepted;
 *   <li>{@value #GIT}: credential {@code git}, Basic credentials ({@code x-access-token}), a git
 *       server ({@link GitHttpServer}) for the repositories under {@link #gitRoot()};
 *   <li>{@value #TUNNELLED}: no credential, allowed by an egress rule: tunnelled untouched;
 *   <li>{@value #UNLISTED}: nothing: refused;
 *   <li>{@value #PLAIN} on port 80: credential {@code plain}, which allows plain HTTP, on a second,
 *       plain-HTTP upstream;
 *   <li>{@value #LLM}: credential {@code openai}, route {@code openai} to the fake provider;
 *   <li>{@value #FIRST_TARGET} and {@value #SECOND_TARGET}: credentials {@code first} and {@code
 *       second}, the targets of route {@code chain} (the first under {@code /api/v1}, mapping
 *       {@code openai/gpt-5-mini} to {@code gpt-5-mini} and serving no other model; the second
 *       under {@code /v1}), both the fake provider; the second's calls are counted by budget
 *       {@code second-daily} ($5 a day);
 *   <li>{@value #SLOW_TARGET}: credential {@code slow}, the third target of route {@code chain},
 *       with a first-byte timeout of 1s, on an upstream that never answers.
 * </ul>
 * Clients trust {@link #bundle()}: Keyward's CA and the upstream's own certificate, nothing else.
 */
public final class ForwardProxyHarness implements AutoCloseable {

  public static final String API = "api.tool.test";
  public static final String OTHER = "other.tool.test";
  public static final String GIT = "git.tool.test";
  public static final String TUNNELLED = "tunnel.tool.test";
  public static final String UNLISTED = "unlisted.tool.test";
  public static final String PLAIN = "plain.tool.test";
  /** An OpenAI-compatible API (the fake provider, over TLS), with a route that meters it. */
  public static final String LLM = "llm.tool.test";
  public static final String LLM_KEY = "sk-llm-0123456789abcdef0123456789";
  /** The first and second targets of route {@code chain}. */
  public static final String FIRST_TARGET = "first.chain.tool.test";
  public static final String SECOND_TARGET = "second.chain.tool.test";
  public static final String SLOW_TARGET = "slow.chain.tool.test";
  /** The request-header timeout (slowloris): a tunnel must outlive it. */
  public static final java.time.Duration HEADER_TIMEOUT = java.time.Duration.ofSeconds(2);
  public static final String KEY = "sk-forward-0123456789abcdef0123";
  public static final String GIT_KEY = "ghp_forward0123456789abcdefABCDEF";
  public static final String OTHER_KEY = "sk-other-0123456789abcdef012345";
  public static final String PLAIN_KEY = "sk-plain-0123456789abcdef012345";

  private final Vertx vertx;
  private final RecordingUpstream upstream;
  private final RecordingUpstream plainUpstream;
  private final RecordingUpstream silentUpstream;
  private final FakeProvider llm;
  private final GitHttpServer git;
  private final Path gitRoot;
  private final TestInstallation installation;
  private final Keyward keyward;
  private final Path bundle;
  private final String apiPlaceholder;
  private final String gitPlaceholder;
  private final String otherPlaceholder;
  private final String plainPlaceholder;
  private final String llmPlaceholder;
  private final String firstPlaceholder;
  private final String secondPlaceholder;
  private final String slowPlaceholder;

  private final Clock clock;

  private ForwardProxyHarness(Path dir, Clock clock, String forwardProxySettings)
      throws Exception {
    this.clock = clock;
    vertx = Vertx.vertx();
    TestTls tls = TestTls.selfSigned(dir, API, OTHER, GIT, TUNNELLED, LLM, FIRST_TARGET,
        SECOND_TARGET, SLOW_TARGET);
    upstream = RecordingUpstream.https(vertx, tls, false).respondWith(ForwardProxyHarness::echo);
    plainUpstream = RecordingUpstream.http(vertx).respondWith(ForwardProxyHarness::echo);
    silentUpstream = RecordingUpstream.https(vertx, tls, false).respondWith(request -> { });
    int port = upstream.port();
    gitRoot = Files.createDirectories(dir.resolve("git-root"));
    Secrets.register(GIT_KEY);
    git = GitHttpServer.start(vertx, tls, gitRoot, GIT_KEY);
    Secrets.register(LLM_KEY);
    llm = FakeProvider.start(vertx, Secret.copyOf(LLM_KEY.getBytes(StandardCharsets.US_ASCII)),
        Clock.systemUTC(), new HttpServerOptions().setSsl(true).setKeyCertOptions(
            new PemKeyCertOptions().setCertPath(tls.certificate().toString())
                .setKeyPath(tls.privateKey().toString())))
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    installation = new TestInstallation(dir).policy("""
        credentials:
          - id: api
            allowed_domains: ["%1$s"]
            allow_addresses: ["127.0.0.1/32"]
          - id: other
            allowed_domains: ["%2$s"]
            allow_addresses: ["127.0.0.1/32"]
          - id: git
            allowed_domains: ["%3$s"]
            allow_addresses: ["127.0.0.1/32"]
          - id: plain
            allowed_domains: ["%4$s"]
            allowed_ports: [80]
            allow_insecure_http: true
            allow_addresses: ["127.0.0.1/32"]
          - id: openai
            allowed_domains: ["%6$s"]
            allow_addresses: ["127.0.0.1/32"]
          - id: first
            allowed_domains: ["%7$s"]
            allow_addresses: ["127.0.0.1/32"]
          - id: second
            allowed_domains: ["%8$s"]
            allow_addresses: ["127.0.0.1/32"]
          - id: slow
            allowed_domains: ["%9$s"]
            allow_addresses: ["127.0.0.1/32"]
        routes:
          - name: openai
            upstream: https://%6$s/v1
            credential: openai
            api: openai
          - name: chain
            api: openai
            targets:
              - name: first
                credential: first
                upstream: https://%7$s/api/v1
                model: {openai/gpt-5-mini: gpt-5-mini}
              - name: second
                credential: second
                upstream: https://%8$s/v1
              - name: slow
                credential: slow
                upstream: https://%9$s/v1
                first_byte_timeout: 1s
        grants:
          - tenants: [acme]
            credentials: [api, other, git, plain, openai, first, second, slow]
        budgets:
          - name: second-daily
            scope: credential
            credentials: [second]
            usd: 5.00
            period: daily
        egress:
          - allow: "%5$s"
            allow_addresses: ["127.0.0.1/32"]
        """.formatted(API, OTHER, GIT, PLAIN, TUNNELLED, LLM, FIRST_TARGET, SECOND_TARGET,
            SLOW_TARGET));
    installation.trust(tls).config(String.join("\n",
        "  connect_to:",
        "    - " + API + ":443=127.0.0.1:" + port,
        "    - " + OTHER + ":443=127.0.0.1:" + port,
        "    - " + GIT + ":443=127.0.0.1:" + git.port(),
        "    - " + TUNNELLED + ":443=127.0.0.1:" + port,
        "    - " + UNLISTED + ":443=127.0.0.1:" + port,
        "    - " + PLAIN + ":80=127.0.0.1:" + plainUpstream.port(),
        "    - " + LLM + ":443=127.0.0.1:" + llm.port(),
        "    - " + FIRST_TARGET + ":443=127.0.0.1:" + llm.port(),
        "    - " + SECOND_TARGET + ":443=127.0.0.1:" + llm.port(),
        "    - " + SLOW_TARGET + ":443=127.0.0.1:" + silentUpstream.port(),
        "forward_proxy:",
        "  listen: 127.0.0.1:0",
        forwardProxySettings,
        "limits:",
        "  request_header_timeout: " + HEADER_TIMEOUT.toSeconds() + "s",
        "pricing:",
        "  models:",
        "    gpt-5-mini: {input: 0.25, output: 2.00, cached_input: 0.025}"));
    apiPlaceholder = installation.putCredential("acme", "api", KEY, List.of(API),
        Injection.bearer()).placeholder();
    otherPlaceholder = installation.putCredential("acme", "other", OTHER_KEY, List.of(OTHER),
        Injection.header("x-api-key", Injection.PLACEHOLDER)).placeholder();
    gitPlaceholder = installation.putCredential("acme", "git", GIT_KEY, List.of(GIT),
        Injection.basic("x-access-token")).placeholder();
    plainPlaceholder = installation.putCredential("acme", "plain", PLAIN_KEY, List.of(PLAIN),
        Injection.bearer()).placeholder();
    llmPlaceholder = installation.putCredential("acme", "openai", LLM_KEY, List.of(LLM),
        Injection.bearer()).placeholder();
    firstPlaceholder = installation.putCredential("acme", "first", LLM_KEY,
        List.of(FIRST_TARGET), Injection.bearer()).placeholder();
    secondPlaceholder = installation.putCredential("acme", "second", LLM_KEY,
        List.of(SECOND_TARGET), Injection.bearer()).placeholder();
    slowPlaceholder = installation.putCredential("acme", "slow", LLM_KEY,
        List.of(SLOW_TARGET), Injection.bearer()).placeholder();
    keyward = installation.start(clock);
    String caPem;
    try (Storage storage = installation.storage()) {
      caPem = ForwardProxyCa.storedCertificatePem(storage.kv()).orElseThrow();
    }
    bundle = dir.resolve("client-bundle.pem");
    Files.writeString(bundle, caPem + Files.readString(tls.certificate()));
  }

  /** Answers with what it received: the request line and every header, as JSON and headers. */
  private static void echo(io.vertx.core.http.HttpServerRequest request) {
    JsonObject headers = new JsonObject();
    request.headers().forEach(h -> headers.put(h.getKey().toLowerCase(), h.getValue()));
    String authorization = request.getHeader("Authorization");
    request.response().putHeader("content-type", "application/json")
        .putHeader("x-echo-authorization", authorization == null ? "" : authorization)
        .end(new JsonObject().put("uri", request.uri()).put("headers", headers).encode());
  }

  public static ForwardProxyHarness start(Path dir) throws Exception {
    return new ForwardProxyHarness(dir, Clock.systemUTC(), "");
  }

  /**
   * Keyward on {@code clock} (a {@code MutableClock} moves its time), with more {@code
   * forward_proxy:} settings (indented lines, e.g. {@code "  max_tunnels: 3"}).
   */
  public static ForwardProxyHarness start(Path dir, Clock clock, String forwardProxySettings)
      throws Exception {
    return new ForwardProxyHarness(dir, clock, forwardProxySettings);
  }

  /** The installation behind this Keyward (its revocations, its tokens). */
  public TestInstallation installation() {
    return installation;
  }

  /** The port agents' tools reach as HTTPS_PROXY. */
  public int proxyPort() {
    return keyward.forwardProxyPort();
  }

  /** A platform token for agent-1 of acme, which is granted every credential. */
  public String token() throws Exception {
    return token("agent-1");
  }

  /** A platform token for {@code agent} of acme, issued at this Keyward's time. */
  public String token(String agent) throws Exception {
    return installation.token(agent, "acme", clock).token();
  }

  /** Keyward's forward-proxy CA and the upstream's certificate, as a PEM bundle. */
  public Path bundle() {
    return bundle;
  }

  /** An SSL context that trusts {@link #bundle()} only. */
  public SSLContext clientTls() throws Exception {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    int n = 0;
    for (Certificate certificate : CertificateFactory.getInstance("X.509")
        .generateCertificates(Files.newInputStream(bundle))) {
      trust.setCertificateEntry("ca-" + n++, certificate);
    }
    TrustManagerFactory factory =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, factory.getTrustManagers(), null);
    return context;
  }

  public String apiPlaceholder() {
    return apiPlaceholder;
  }

  public String gitPlaceholder() {
    return gitPlaceholder;
  }

  public String otherPlaceholder() {
    return otherPlaceholder;
  }

  public String plainPlaceholder() {
    return plainPlaceholder;
  }

  public String llmPlaceholder() {
    return llmPlaceholder;
  }

  public String firstPlaceholder() {
    return firstPlaceholder;
  }

  public String secondPlaceholder() {
    return secondPlaceholder;
  }

  public String slowPlaceholder() {
    return slowPlaceholder;
  }

  /** The git server behind {@value #GIT}. */
  public GitHttpServer git() {
    return git;
  }

  /** Where the git server's repositories are. */
  public Path gitRoot() {
    return gitRoot;
  }

  /** The fake OpenAI-compatible provider behind {@value #LLM}. */
  public FakeProvider llm() {
    return llm;
  }

  /** The installation's directory (its audit log, its CA bundle). */
  public Path dir() {
    return installation.dir();
  }

  public RecordingUpstream upstream() {
    return upstream;
  }

  public RecordingUpstream plainUpstream() {
    return plainUpstream;
  }

  public AuditCapture audit() {
    return new AuditCapture(installation.dir());
  }

  public Keyward keyward() {
    return keyward;
  }

  /** Stops everything after checking that no secret reached the audit log. */
  @Override
  public void close() throws Exception {
    try {
      keyward.close();
      List<String> inAudit = Secrets.foundIn(audit().rawText());
      if (!inAudit.isEmpty()) {
        throw new AssertionError("secrets in the audit log: " + inAudit);
      }
    } finally {
      upstream.close();
      plainUpstream.close();
      silentUpstream.close();
      llm.close();
      git.close();
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
  }
}
