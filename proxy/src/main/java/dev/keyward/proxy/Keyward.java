package dev.keyward.proxy;

import dev.keyward.policies.InvalidPolicyException;
import dev.keyward.policies.PolicyLoader;
import dev.keyward.policies.PolicyProblem;
import dev.keyward.policies.PolicySet;
import dev.keyward.proxy.audit.AuditSink;
import dev.keyward.proxy.audit.LogAuditSink;
import dev.keyward.proxy.config.ConfigException;
import dev.keyward.proxy.config.KeywardConfig;
import dev.keyward.proxy.forward.Forwarder;
import dev.keyward.proxy.forward.HeaderHygiene;
import dev.keyward.proxy.forward.HostResolver;
import dev.keyward.proxy.forward.UpstreamAddresses;
import dev.keyward.proxy.forward.UpstreamTimeouts;
import dev.keyward.proxy.forward.UpstreamTrust;
import dev.keyward.proxy.http.InvalidRequests;
import dev.keyward.proxy.http.SlowClientGuard;
import dev.keyward.proxy.stage.ResolveTarget;
import dev.keyward.proxy.stage.Authenticate;
import dev.keyward.proxy.stage.Inject;
import dev.keyward.proxy.stage.Unseal;
import dev.keyward.proxy.storage.Storage;
import dev.keyward.proxy.tokens.TokenEndpoints;
import dev.keyward.proxy.tokens.TokenState;
import dev.keyward.token.AgentRegistry;
import dev.keyward.token.FailureLimiter;
import dev.keyward.token.RevocationStore;
import dev.keyward.token.SigningKeyStore;
import dev.keyward.token.TokenExchange;
import dev.keyward.token.TokenVerifier;
import dev.keyward.vault.KvException;
import dev.keyward.vault.SealedCredentialCache;
import dev.keyward.vault.Sealer;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Keyward, built from a {@link KeywardConfig}: the composition root. Start-up reads
 * keys, policy and state before anything listens, so a bad file stops start-up with a clear
 * message instead of failing requests later.
 */
public final class Keyward implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Keyward.class);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  /** How long in-flight requests may take to finish on shutdown. */
  public static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(30);
  /** An event loop blocked longer than this is logged by Vert.x (tests fail on it). */
  public static final Duration MAX_EVENT_LOOP_BLOCK = Duration.ofMillis(200);
  /** Failed token exchanges allowed per agent, and per source address, each minute. */
  public static final int EXCHANGE_FAILURES_PER_AGENT = 10;
  public static final int EXCHANGE_FAILURES_PER_ADDRESS = 30;

  private final Vertx vertx;
  private final HttpServer server;
  private final ExecutorService storeIo;
  private final ScheduledExecutorService background;
  private final PolicyReloader policyReloader;
  private final Storage storage;
  private final AgentPort agentPort;
  private final AtomicBoolean closed = new AtomicBoolean();

  private Keyward(Vertx vertx, HttpServer server, AgentPort agentPort, ExecutorService storeIo,
      ScheduledExecutorService background, PolicyReloader policyReloader, Storage storage) {
    this.agentPort = agentPort;
    this.storage = storage;
    this.vertx = vertx;
    this.server = server;
    this.storeIo = storeIo;
    this.background = background;
    this.policyReloader = policyReloader;
  }

  /** Re-reads the policy file now (also done every {@code policy_reload_interval}). */
  public PolicyReloader.Outcome reloadPolicy() {
    return policyReloader.reload();
  }

  /**
   * Starts Keyward and returns once it is listening.
   *
   * @throws ConfigException when a configured file is missing, unreadable or invalid
   */
  public static Keyward start(KeywardConfig config, Clock clock) throws ConfigException {
    return start(config, clock, HostResolver.SYSTEM);
  }

  /** As {@link #start(KeywardConfig, Clock)} with a given resolver for upstream host names. */
  public static Keyward start(KeywardConfig config, Clock clock, HostResolver resolver)
      throws ConfigException {
    String policyText = readPolicy(config);
    PolicySet policy = parsePolicy(config, policyText);
    PolicyHolder policies = new PolicyHolder(policy);
    PolicyReloader reloader = new PolicyReloader(config.policy(), policies, policyText);
    Storage storage = Storage.open(config.storage(), clock);
    TokenState tokens;
    try {
      tokens = loadTokenState(config, storage, clock);
    } catch (ConfigException e) {
      storage.close();
      throw e;
    }
    TokenVerifier verifier = TokenVerifier.builder()
        .keys(tokens.publicKeys())
        .issuer(config.issuer())
        .revocations(tokens)
        .clock(clock)
        .build();
    tokens.attach(verifier);
    Sealer sealer = storage.sealer();
    ExecutorService storeIo = Executors.newFixedThreadPool(4, daemonThreads("keyward-store-io"));
    ScheduledExecutorService background =
        Executors.newSingleThreadScheduledExecutor(daemonThreads("keyward-refresh"));
    long refreshMillis = config.tokenRefreshInterval().toMillis();
    background.scheduleWithFixedDelay(tokens::refresh, refreshMillis, refreshMillis,
        TimeUnit.MILLISECONDS);
    long reloadMillis = config.policyReloadInterval().toMillis();
    background.scheduleWithFixedDelay(reloader::reload, reloadMillis, reloadMillis,
        TimeUnit.MILLISECONDS);
    SealedCredentialCache cache = new SealedCredentialCache(storage.credentials(clock), sealer,
        storeIo, config.credentialTtl(), config.credentialStaleWindow(),
        SealedCredentialCache.DEFAULT_MAXIMUM_SIZE);
    Vertx vertx = Vertx.vertx(new VertxOptions()
        .setMaxEventLoopExecuteTime(MAX_EVENT_LOOP_BLOCK.toMillis())
        .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
        .setBlockedThreadCheckInterval(MAX_EVENT_LOOP_BLOCK.toMillis() / 2));
    try {
      PoolOptions pool = new PoolOptions().setHttp1MaxSize(128).setHttp2MaxSize(8);
      HttpClientOptions tls = clientOptions(config);
      if (config.http2()) {
        tls.setProtocolVersion(HttpVersion.HTTP_2).setUseAlpn(true);
      }
      Forwarder forwarder = new Forwarder(vertx, vertx.createHttpClient(tls, pool),
          vertx.createHttpClient(clientOptions(config), pool),
          new UpstreamAddresses(vertx, config.connectTo(), resolver),
          new UpstreamTimeouts(config.connectTimeout(), config.firstByteTimeout(),
              config.idleTimeout()));
      AuditSink audit = new LogAuditSink();
      KeywardConfig.Limits limits = config.limits();
      Pipeline pipeline = new Pipeline(policies, new Authenticate(verifier),
          new ResolveTarget(limits.maxRequestBody()), new Unseal(cache),
          new Inject(new HeaderHygiene(config.forwardAgentNetwork())), forwarder, audit, clock,
          limits.maxRequestDuration());
      TokenExchange exchange = new TokenExchange(new AgentRegistry(storage.kv()),
          () -> tokens.issuer().orElse(null), tokens,
          new FailureLimiter(EXCHANGE_FAILURES_PER_AGENT, Duration.ofMinutes(1)),
          new FailureLimiter(EXCHANGE_FAILURES_PER_ADDRESS, Duration.ofMinutes(1)));
      SlowClientGuard slowClients = new SlowClientGuard(vertx, limits.requestHeaderTimeout());
      AgentPort agentPort = new AgentPort(pipeline, new TokenEndpoints(vertx, exchange, tokens),
          slowClients);
      HttpServer server = vertx.createHttpServer(new HttpServerOptions()
              .setHost(config.host())
              .setPort(config.port())
              .setMaxHeaderSize(limits.maxHeaderSize())
              .setIdleTimeout((int) limits.clientIdleTimeout().toMillis())
              .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
              .setHandle100ContinueAutomatically(true)
              // Agents speak HTTP/1.1. Sniffing for h2c would also hold a connection outside
              // the slow-client guard while its first bytes trickle in.
              .setHttp2ClearTextEnabled(false))
          .connectionHandler(slowClients::connected)
          .invalidRequestHandler(new InvalidRequests())
          .requestHandler(agentPort);
      server.listen().toCompletionStage().toCompletableFuture()
          .get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      LOG.info("Keyward listening on {}:{} (policy {} with {} routes; {})", config.host(),
          server.actualPort(), policy.version(), policy.routeCount(), storage.describe());
      return new Keyward(vertx, server, agentPort, storeIo, background, reloader, storage);
    } catch (Exception e) {
      vertx.close();
      storeIo.shutdownNow();
      background.shutdownNow();
      storage.close();
      throw new ConfigException("cannot start on " + config.host() + ":" + config.port() + ": "
          + rootMessage(e), e);
    }
  }

  /** The port the agent-facing server listens on (useful when configured as 0). */
  public int port() {
    return server.actualPort();
  }

  /**
   * Stops accepting connections, answers new requests on open connections with 503
   * shutting_down, lets in-flight requests finish up to the grace period, then stops. Safe to call
   * more than once (a SIGTERM hook and a test may both call it).
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    agentPort.drain();
    LOG.info("shutting down: finishing requests in flight (up to {})", SHUTDOWN_GRACE);
    try {
      server.shutdown(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS).toCompletionStage()
          .toCompletableFuture().get(SHUTDOWN_GRACE.toSeconds() + 5, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("shutdown did not complete cleanly: {}", rootMessage(e));
    } finally {
      background.shutdownNow();
      vertx.close();
      storeIo.shutdownNow();
      storage.close();
    }
  }

  private static HttpClientOptions clientOptions(KeywardConfig config) throws ConfigException {
    try {
      return new HttpClientOptions()
          .setTrustOptions(UpstreamTrust.withExtraCas(config.trustCa()))
          .setVerifyHost(true)
          .setForceSni(true)
          .setKeepAlive(true)
          .setMaxRedirects(0);
    } catch (IOException | GeneralSecurityException e) {
      throw new ConfigException("cannot load upstream.trust_ca: " + rootMessage(e), e);
    }
  }

  private static TokenState loadTokenState(KeywardConfig config, Storage storage, Clock clock)
      throws ConfigException {
    RevocationStore revocations = new RevocationStore(storage.kv());
    try {
      return config.jwks().isPresent()
          ? TokenState.verifying(config.jwks().get(), revocations, config.issuer(), clock)
          : TokenState.issuing(new SigningKeyStore(storage.kv(), storage.kek()), revocations,
              config.issuer(), clock);
    } catch (KvException | GeneralSecurityException | IOException e) {
      throw new ConfigException("cannot load the token keys: " + rootMessage(e), e);
    }
  }

  private static String readPolicy(KeywardConfig config) throws ConfigException {
    try {
      return Files.readString(config.policy(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException("cannot read the policy " + config.policy() + ": " + rootMessage(e), e);
    }
  }

  private static PolicySet parsePolicy(KeywardConfig config, String text) throws ConfigException {
    try {
      return PolicyLoader.parse(config.policy().toString(), text);
    } catch (InvalidPolicyException e) {
      throw new ConfigException("the policy is invalid:\n" + e.problems().stream()
          .map(PolicyProblem::toString).collect(Collectors.joining("\n")));
    }
  }

  static ThreadFactory daemonThreads(String name) {
    AtomicInteger n = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, name + "-" + n.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}
