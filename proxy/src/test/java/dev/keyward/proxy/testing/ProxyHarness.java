package dev.keyward.proxy.testing;

import dev.keyward.proxy.Keyward;
import dev.keyward.vault.Injection;
import io.vertx.core.Vertx;
import java.net.ConnectException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;

/**
 * The common end-to-end set-up: a recording upstream on 127.0.0.1, a policy with one route
 * ({@code /r/local/…} → upstream {@code /v1/…}, credential {@code local}, tenant {@code acme}),
 * the credential stored, and the real server started.
 */
public final class ProxyHarness implements AutoCloseable {

  public static final String KEY = "sk-harness-0123456789abcdef0123";

  private final Vertx vertx;
  private final RecordingUpstream upstream;
  private final TestInstallation installation;
  private final Keyward keyward;
  private final Agent agent;

  private ProxyHarness(Vertx vertx, RecordingUpstream upstream, TestInstallation installation,
      Keyward keyward) {
    this.vertx = vertx;
    this.upstream = upstream;
    this.installation = installation;
    this.keyward = keyward;
    this.agent = new Agent(keyward.port());
  }

  /** Options for {@link #start}. */
  public static final class Options {
    Injection injection = Injection.bearer();
    String config = "";
    String routeExtra = "";
    TestTls tls;
    boolean http2;

    public Options injection(Injection value) {
      this.injection = value;
      return this;
    }

    String refreshInterval = "100ms";

    /** How often Keyward re-reads revocations and signing keys from the store. */
    public Options refreshInterval(String interval) {
      this.refreshInterval = interval;
      return this;
    }

    /** Extra top-level configuration blocks. */
    public Options config(String yaml) {
      this.config += yaml + (yaml.endsWith("\n") ? "" : "\n");
      return this;
    }

    /** Extra fields for the route, e.g. {@code max_request_body: 1KiB}. */
    public Options route(String yamlField) {
      this.routeExtra = yamlField;
      return this;
    }

    /** An HTTPS upstream with this certificate (trusted by the proxy), offering h2 if asked. */
    public Options https(TestTls certificate, boolean offerHttp2) {
      this.tls = certificate;
      this.http2 = offerHttp2;
      return this;
    }
  }

  public static Options options() {
    return new Options();
  }

  public static ProxyHarness start(Path dir, Options options) throws Exception {
    Vertx vertx = Vertx.vertx();
    RecordingUpstream upstream = options.tls == null ? RecordingUpstream.http(vertx)
        : RecordingUpstream.https(vertx, options.tls, options.http2);
    String scheme = options.tls == null ? "http" : "https";
    String host = options.tls == null ? "127.0.0.1" : "localhost";
    TestInstallation installation = new TestInstallation(dir).policy("""
        credentials:
          - id: local
            allowed_domains: ["%2$s"]
            allowed_ports: [%1$d]
            allow_insecure_http: true
            allow_addresses: ["127.0.0.1/32", "::1/128"]
        routes:
          - name: local
            upstream: %3$s://%2$s:%1$d/v1
            credential: local
            %4$s
        grants:
          - tenants: [acme]
            credentials: [local]
        """.formatted(upstream.port(), host, scheme, options.routeExtra));
    if (options.tls != null) {
      installation.trust(options.tls);
    }
    installation.config(options.config).refreshInterval(options.refreshInterval);
    installation.putCredential("acme", "local", KEY, List.of(host), options.injection);
    return new ProxyHarness(vertx, upstream, installation, installation.start());
  }

  public Vertx vertx() {
    return vertx;
  }

  public RecordingUpstream upstream() {
    return upstream;
  }

  public TestInstallation installation() {
    return installation;
  }

  public Keyward keyward() {
    return keyward;
  }

  public Agent agent() {
    return agent;
  }

  public int port() {
    return keyward.port();
  }

  /** A client of the admin port (the admin API, probes and metrics). */
  public Agent admin() {
    return new Agent(keyward.adminPort());
  }

  /** The Prometheus exposition from {@code /metrics}. */
  public String metrics() throws Exception {
    HttpResponse<String> response = admin().get("/metrics", null);
    if (response.statusCode() != 200) {
      throw new AssertionError("GET /metrics: " + response.statusCode());
    }
    return response.body();
  }

  public String token() throws Exception {
    return installation.token("agent-1", "acme").token();
  }

  /**
   * Stops everything, after checking that no secret the helpers handed out appears in this
   * instance's metrics or (once the final checkpoint is written) its audit log.
   */
  @Override
  public void close() throws Exception {
    try {
      List<String> inMetrics = List.of();
      try {
        inMetrics = Secrets.foundIn(metrics());
      } catch (ConnectException e) {
        // the test closed Keyward itself; its audit log is still checked below
      }
      keyward.close();
      List<String> inAudit = Secrets.foundIn(new AuditCapture(installation.dir()).rawText());
      if (!inMetrics.isEmpty() || !inAudit.isEmpty()) {
        throw new AssertionError("secrets leaked: metrics " + inMetrics + ", audit " + inAudit);
      }
    } finally {
      keyward.close();
      upstream.close();
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
  }
}
