package dev.keyward.proxy;

import com.google.crypto.tink.KeysetHandle;
import dev.keyward.policies.InvalidPolicyException;
import dev.keyward.policies.PolicyLoader;
import dev.keyward.policies.PolicyProblem;
import dev.keyward.policies.PolicySet;
import dev.keyward.proxy.admin.AdminApi;
import dev.keyward.proxy.admin.AppliedHere;
import dev.keyward.proxy.admin.LocalOperations;
import dev.keyward.proxy.admin.OperationError;
import dev.keyward.proxy.admin.OperationException;
import dev.keyward.proxy.admin.RunningBudgets;
import dev.keyward.proxy.audit.AuditKeys;
import dev.keyward.proxy.audit.AuditLog;
import dev.keyward.proxy.budget.BudgetCounters;
import dev.keyward.proxy.budget.BudgetGate;
import dev.keyward.proxy.budget.BudgetGauges;
import dev.keyward.proxy.budget.BudgetStore;
import dev.keyward.proxy.budget.BudgetStores;
import dev.keyward.proxy.call.Interceptor;
import dev.keyward.proxy.config.ConfigException;
import dev.keyward.proxy.config.KeywardConfig;
import dev.keyward.proxy.console.Console;
import dev.keyward.proxy.forward.HeaderHygiene;
import dev.keyward.proxy.forwardproxy.ForwardProxy;
import dev.keyward.proxy.forwardproxy.ForwardProxyCa;
import dev.keyward.proxy.forward.HostResolver;
import dev.keyward.proxy.forward.Relay;
import dev.keyward.proxy.forward.UpstreamAddresses;
import dev.keyward.proxy.forward.UpstreamCall;
import dev.keyward.proxy.forward.UpstreamTimeouts;
import dev.keyward.proxy.forward.UpstreamTrust;
import dev.keyward.proxy.health.Health;
import dev.keyward.proxy.http.InvalidRequests;
import dev.keyward.proxy.http.SlowClientGuard;
import dev.keyward.proxy.llm.LlmInterceptor;
import dev.keyward.proxy.metrics.Metrics;
import dev.keyward.proxy.routing.TargetRouter;
import dev.keyward.proxy.stage.Authorize;
import dev.keyward.proxy.stage.DeclaredLength;
import dev.keyward.proxy.stage.ResolveTarget;
import dev.keyward.proxy.stage.Authenticate;
import dev.keyward.proxy.stage.RecordOutcome;
import dev.keyward.proxy.stage.ReplayableBody;
import dev.keyward.proxy.stage.ReserveAndSettle;
import dev.keyward.proxy.stage.UnsealAndInject;
import dev.keyward.proxy.storage.Storage;
import dev.keyward.proxy.tokens.NewTokenVerifications;
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
import dev.keyward.vault.Tickers;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import javax.net.ssl.SSLException;
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
  /** How long shutdown waits for the budget settles of the last calls. */
  static final Duration SETTLE_GRACE = Duration.ofSeconds(5);
  /** An event loop blocked longer than this is logged by Vert.x (tests fail on it). */
  public static final Duration MAX_EVENT_LOOP_BLOCK = Duration.ofMillis(200);
  /** Failed token exchanges allowed per agent and source address, and per address, a minute. */
  public static final int EXCHANGE_FAILURES_PER_AGENT_AND_ADDRESS = 10;
  public static final int EXCHANGE_FAILURES_PER_ADDRESS = 30;

  private final Vertx vertx;
  private final List<HttpServer> servers;
  private final HttpServer adminServer;
  private final List<HttpServer> forwardServers;
  private final AgentPort agentPort;
  private final PolicyReloader policyReloader;
  private final TokenState tokens;
  private final AuditLog audit;
  private final Optional<BudgetGauges> budgetGauges;
  private final Deque<AutoCloseable> resources;
  private final AtomicBoolean closed = new AtomicBoolean();

  private Keyward(Vertx vertx, List<HttpServer> servers, HttpServer adminServer,
      List<HttpServer> forwardServers, AgentPort agentPort, PolicyReloader policyReloader,
      TokenState tokens, AuditLog audit, Optional<BudgetGauges> budgetGauges,
      Deque<AutoCloseable> resources) {
    this.vertx = vertx;
    this.servers = List.copyOf(servers);
    this.adminServer = adminServer;
    this.forwardServers = List.copyOf(forwardServers);
    this.agentPort = agentPort;
    this.policyReloader = policyReloader;
    this.tokens = tokens;
    this.audit = audit;
    this.budgetGauges = budgetGauges;
    this.resources = resources;
  }

  /** Re-reads the policy file now (also done every {@code policy_reload_interval}). */
  public PolicyReloader.Outcome reloadPolicy() {
    return policyReloader.reload();
  }

  /**
   * Re-reads signing keys and revocations from the store now (also done every {@code
   * tokens.refresh_interval}); false when the store could not be read.
   */
  public boolean refreshTokenState() {
    return tokens.refresh();
  }

  /**
   * Reads budget usage into the per-budget gauges now (also done every {@link
   * BudgetGauges#REFRESH_INTERVAL}) and returns once they show it.
   *
   * @throws IllegalStateException when the admin API (which serves the metrics) is disabled
   */
  public void refreshBudgetGauges() throws Exception {
    await(budgetGauges.orElseThrow(() -> new IllegalStateException(
        "the admin API is disabled (admin.enabled: false): no metrics")).refresh());
  }

  /** The audit trail this instance writes. */
  public AuditLog audit() {
    return audit;
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
    // On its own thread while the keys, policy and state are read; joined before any server
    // listens, so no request ever finds it unfinished.
    FutureTask<Void> tls = new FutureTask<>(Keyward::warmUpTls, null);
    daemonThreads("keyward-tls-warm-up").newThread(tls).start();
    String policyText = readPolicy(config);
    PolicySet policy = parsePolicy(config, policyText);
    PolicyHolder policies = new PolicyHolder(policy);
    PolicyReloader reloader = new PolicyReloader(config.policy(), policies, policyText);
    // Everything opened is closed in reverse order, on failure here or in close().
    Deque<AutoCloseable> resources = new ArrayDeque<>();
    try {
      Storage storage = Storage.open(config.storage(), clock);
      resources.push(storage);
      TokenState tokens = loadTokenState(config, storage, clock);
      TokenVerifier verifier = TokenVerifier.builder().keys(tokens.publicKeys())
          .issuer(config.issuer()).revocations(tokens).clock(clock).build();
      tokens.attach(verifier);
      NewTokenVerifications newTokens = newTokenVerifications(verifier, resources);
      refreshInTheBackground(config, tokens, reloader, resources);
      AuditLog audit = openAudit(config, storage, clock);
      resources.push(audit);
      Metrics metrics = new Metrics();
      SealedCredentialCache cache = credentialCache(config, storage, clock, resources);
      Vertx vertx = vertx(metrics, resources);
      BudgetGate budgets = openBudgets(config, policy, vertx, clock, metrics, resources);
      RecordOutcome recordOutcome = new RecordOutcome(audit, metrics, clock);
      UpstreamAddresses addresses = new UpstreamAddresses(vertx, config.connectTo(), resolver);
      UpstreamCall upstream = upstreamCall(config, vertx, addresses, tls);
      TargetRouter router = new TargetRouter(clock, config.pricing(), config.routing(),
          metrics);
      Pipeline pipeline = pipeline(config, vertx, policies, upstream, router, requestPath(config,
          recordOutcome, new Authenticate(verifier, newTokens),
          new ResolveTarget(config.limits().maxRequestBody()), cache, budgets, metrics));
      SlowClientGuard slowClients =
          new SlowClientGuard(vertx, config.limits().requestHeaderTimeout());
      AgentPort agentPort = new AgentPort(pipeline,
          new TokenEndpoints(vertx, tokenExchange(storage, tokens, clock), tokens, recordOutcome),
          slowClients, recordOutcome);
      List<HttpServer> servers = listenForAgents(config, vertx, agentPort, slowClients,
          recordOutcome);
      List<HttpServer> forwardServers = config.forwardProxy().enabled()
          ? listenAsForwardProxy(config, vertx, storage, clock, policies, verifier, newTokens,
              cache, budgets, metrics, upstream, router, addresses, recordOutcome, agentPort)
          : List.of();
      HttpServer adminServer = null;
      Optional<BudgetGauges> budgetGauges = Optional.empty();
      if (config.admin().enabled()) {
        Health health = observe(metrics, storage, tokens, verifier, newTokens, cache, reloader,
            audit, budgets, agentPort);
        budgetGauges = Optional.of(budgetGauges(vertx, budgets, policies, metrics, resources));
        LocalOperations operations = new LocalOperations(config, storage,
            Optional.of(reloader), appliedHere(tokens, cache),
            Optional.of(new RunningBudgets(policies::current, budgets)), clock);
        AdminApi admin = new AdminApi(vertx, operations, verifier, audit, clock, health, metrics,
            () -> router.snapshot(policies.current()));
        new Console(vertx, new Console.Sources(operations, verifier, audit, config.audit(),
            storage.kv(), policies::current, budgets), clock).mount(admin.router());
        metrics.awaitJvmMeters();
        adminServer = vertx.createHttpServer(adminOptions(config.admin(), config.limits()))
            .requestHandler(admin.router());
        await(adminServer.listen());
      }
      LOG.info("Keyward listening on {}:{} (policy {} with {} routes; {}){}{}", config.host(),
          servers.get(0).actualPort(), policy.version(), policy.routeCount(), storage.describe(),
          adminServer == null ? "; admin API off" : "; admin API and console on "
              + config.admin().host() + ":" + adminServer.actualPort(),
          forwardServers.isEmpty() ? "" : "; forward proxy on " + config.forwardProxy().host()
              + ":" + forwardServers.get(0).actualPort());
      return new Keyward(vertx, servers, adminServer, forwardServers, agentPort, reloader,
          tokens, audit, budgetGauges, resources);
    } catch (ConfigException e) {
      closeAll(resources);
      throw e;
    } catch (Exception e) {
      closeAll(resources);
      throw new ConfigException("cannot start on " + config.host() + ":" + config.port() + ": "
          + rootMessage(e), e);
    }
  }

  /** Signing keys and revocations, and the policy file, re-read on their intervals. */
  private static void refreshInTheBackground(KeywardConfig config, TokenState tokens,
      PolicyReloader reloader, Deque<AutoCloseable> resources) {
    ScheduledExecutorService background =
        Executors.newSingleThreadScheduledExecutor(daemonThreads("keyward-refresh"));
    resources.push(background::shutdownNow);
    long refreshMillis = config.tokenRefreshInterval().toMillis();
    background.scheduleWithFixedDelay(tokens::refresh, refreshMillis, refreshMillis,
        TimeUnit.MILLISECONDS);
    long reloadMillis = config.policyReloadInterval().toMillis();
    background.scheduleWithFixedDelay(reloader::reload, reloadMillis, reloadMillis,
        TimeUnit.MILLISECONDS);
  }

  /** Signature checks of new platform tokens, on their own threads (never an event loop). */
  private static NewTokenVerifications newTokenVerifications(TokenVerifier verifier,
      Deque<AutoCloseable> resources) {
    ExecutorService checks = Executors.newFixedThreadPool(NewTokenVerifications.DEFAULT_THREADS,
        daemonThreads("keyward-token-verify"));
    resources.push(checks::shutdownNow);
    return new NewTokenVerifications(verifier, checks, NewTokenVerifications.DEFAULT_MAX_PENDING);
  }

  /** Sealed credentials in memory; store reads and KEK calls on their own threads. */
  private static SealedCredentialCache credentialCache(KeywardConfig config, Storage storage,
      Clock clock, Deque<AutoCloseable> resources) {
    ExecutorService storeIo = Executors.newFixedThreadPool(4, daemonThreads("keyward-store-io"));
    resources.push(storeIo::shutdownNow);
    return new SealedCredentialCache(storage.credentials(clock), storage.sealer(), storeIo,
        config.credentialTtl(), config.credentialStaleWindow(),
        SealedCredentialCache.DEFAULT_MAXIMUM_SIZE, Tickers.of(clock));
  }

  /**
   * The budget store that {@code budgets.store} names, closed before Vert.x: opened now when the
   * policy has budgets (Redis is not contacted here: Keyward starts while it is down), else when
   * a reloaded policy first needs it.
   */
  private static BudgetGate openBudgets(KeywardConfig config, PolicySet policy, Vertx vertx,
      Clock clock, Metrics metrics, Deque<AutoCloseable> resources) throws Exception {
    BudgetCounters counters = new BudgetCounters();
    BudgetStore store = BudgetStores.openWhenNeeded(vertx, config.budgets(), clock, counters,
        !policy.budgets().isEmpty());
    BudgetGate gate = new BudgetGate(store, counters);
    resources.push(() -> {
      // The calls that ended last settle before the store closes (else their holds are charged
      // in full at the next start).
      if (!gate.awaitSettles(SETTLE_GRACE)) {
        LOG.warn("budget settles still in flight after {}: their holds are charged in full when"
            + " their lease ends", SETTLE_GRACE);
      }
      await(store.close());
    });
    counters.bindTo(metrics.registry());
    return gate;
  }

  /**
   * The per-budget gauges, refreshed now and every {@link BudgetGauges#REFRESH_INTERVAL} on a
   * timer (never on the request path), stopped before the budget store closes.
   */
  private static BudgetGauges budgetGauges(Vertx vertx, BudgetGate budgets, PolicyHolder policies,
      Metrics metrics, Deque<AutoCloseable> resources) {
    BudgetGauges gauges =
        new BudgetGauges(budgets, () -> policies.current().budgets(), metrics.registry());
    long timer = vertx.setPeriodic(1, BudgetGauges.REFRESH_INTERVAL.toMillis(),
        id -> gauges.tick());
    resources.push(() -> vertx.cancelTimer(timer));
    return gauges;
  }

  private static Vertx vertx(Metrics metrics, Deque<AutoCloseable> resources) {
    Vertx vertx = Vertx.builder()
        .with(metrics.vertxMetrics(new VertxOptions()
            // epoll where Netty's native library loads (Linux x86-64), else Java NIO.
            .setPreferNativeTransport(true)
            .setMaxEventLoopExecuteTime(MAX_EVENT_LOOP_BLOCK.toMillis())
            .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
            // The warning carries the blocked thread's stack: what it was doing, not just how long.
            .setWarningExceptionTime(MAX_EVENT_LOOP_BLOCK.toMillis())
            .setWarningExceptionTimeUnit(TimeUnit.MILLISECONDS)
            .setBlockedThreadCheckInterval(MAX_EVENT_LOOP_BLOCK.toMillis() / 2)))
        .withMetrics(new MicrometerMetricsFactory(metrics.registry()))
        .build();
    resources.push(() -> await(vertx.close()));
    if (!vertx.isNativeTransportEnabled()) {
      LOG.debug("native transport unavailable, using Java NIO: {}",
          String.valueOf(vertx.unavailableNativeTransportCause()));
    }
    return vertx;
  }

  /** Sends attempts upstream: pooled clients, HTTP/2 where TLS upstreams offer it. */
  private static UpstreamCall upstreamCall(KeywardConfig config, Vertx vertx,
      UpstreamAddresses addresses, FutureTask<Void> tlsWarmUp) throws Exception {
    try {
      tlsWarmUp.get();
    } catch (ExecutionException e) {
      throw new ConfigException("cannot initialise TLS: " + rootMessage(e), e.getCause());
    }
    PoolOptions pool = new PoolOptions()
        .setHttp1MaxSize(config.limits().maxUpstreamConnections()).setHttp2MaxSize(8);
    HttpClientOptions tls = clientOptions(config);
    if (config.http2()) {
      tls.setProtocolVersion(HttpVersion.HTTP_2).setUseAlpn(true);
    }
    HttpClientOptions plain = clientOptions(config);
    return new UpstreamCall(vertx, () -> vertx.createHttpClient(tls, pool),
        () -> vertx.createHttpClient(plain, pool), addresses,
        new UpstreamTimeouts(config.connectTimeout(), config.firstByteTimeout(),
            config.idleTimeout()));
  }

  /**
   * Initialises the JVM's TLS once, here at start: Netty's TLS classes probe the JDK's protocols
   * and load its default trust store when first used, hundreds of milliseconds on a cold or busy
   * JVM, which would otherwise block an event loop at the first HTTPS upstream.
   */
  private static void warmUpTls() {
    try {
      SslContextBuilder.forClient().sslProvider(SslProvider.JDK).build();
    } catch (SSLException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The interceptors of a request path in order (the outcome's record first, so it ends last):
   * who is asking and where the request goes (the reverse path's or the forward proxy's), then
   * the same policy, budgets, key and LLM steps for both.
   */
  private static List<Interceptor> requestPath(KeywardConfig config,
      RecordOutcome recordOutcome, Interceptor authenticate, Interceptor resolve,
      SealedCredentialCache cache, BudgetGate budgets, Metrics metrics) {
    return List.of(
        recordOutcome,
        authenticate,
        resolve,
        new Authorize(),
        new DeclaredLength(),
        // Before the LLM interceptor: it reserves once the body was read, and settles after the
        // call was metered (onEnd runs in reverse order).
        new ReserveAndSettle(budgets, config.pricing()),
        new UnsealAndInject(cache, new HeaderHygiene(config.forwardAgentNetwork())),
        new LlmInterceptor(config.pricing(), metrics),
        // After the LLM interceptor, which reads the bodies of model endpoints itself.
        new ReplayableBody());
  }

  /** The request path: the interceptors around the upstream call and the relay. */
  private static Pipeline pipeline(KeywardConfig config, Vertx vertx, PolicyHolder policies,
      UpstreamCall upstream, TargetRouter router, List<Interceptor> chain) {
    return new Pipeline(vertx, policies, chain, upstream, new Relay(vertx, config.idleTimeout()),
        router, config.limits().maxRequestDuration());
  }

  /**
   * The forward proxy ({@code forward_proxy.listen}): its CA from the store (made on first use),
   * the intercepting TLS server on loopback, and the port agents' tools reach as {@code
   * HTTPS_PROXY}. Requests inside intercepted tunnels, and plain-HTTP ones, go through the same
   * request path as the reverse proxy's, with the forward proxy's authentication and resolution.
   */
  private static List<HttpServer> listenAsForwardProxy(KeywardConfig config, Vertx vertx,
      Storage storage, Clock clock, PolicyHolder policies, TokenVerifier verifier,
      NewTokenVerifications newTokens, SealedCredentialCache cache, BudgetGate budgets,
      Metrics metrics, UpstreamCall upstream, TargetRouter router, UpstreamAddresses addresses,
      RecordOutcome recordOutcome, AgentPort agentPort) throws Exception {
    ForwardProxyCa ca;
    try {
      ca = ForwardProxyCa.loadOrCreate(storage.kv(), storage.kek(), clock);
    } catch (KvException | GeneralSecurityException e) {
      throw new ConfigException("cannot load the forward proxy's CA: " + rootMessage(e), e);
    }
    ForwardProxy forward = new ForwardProxy(ca, clock, config.forwardProxy().tunnels());
    metrics.gauge("keyward_forward_proxy_tunnels", "Forward-proxy tunnels open now",
        forward::openTunnels);
    Pipeline pipeline = pipeline(config, vertx, policies, upstream, router, requestPath(config,
        recordOutcome, forward.authenticate(verifier, newTokens),
        forward.resolve(cache, config.limits().maxRequestBody()), cache, budgets, metrics));
    HttpServerOptions base = agentOptions(config);
    List<HttpServer> intercepting = listenOnEveryCore(vertx, () -> vertx.createHttpServer(
            forward.interceptingOptions(base, config.limits().requestHeaderTimeout()))
        .connectionHandler(forward.interceptingConnections())
        .invalidRequestHandler(new InvalidRequests(recordOutcome))
        .requestHandler(pipeline));
    forward.interceptingPort(intercepting.get(0).actualPort());
    SlowClientGuard slowClients =
        new SlowClientGuard(vertx, config.limits().requestHeaderTimeout());
    Handler<HttpServerRequest> port = forward.port(vertx, policies::current, verifier, newTokens,
        pipeline, addresses, config.connectTimeout(), slowClients, recordOutcome,
        agentPort::draining);
    HttpServerOptions options = new HttpServerOptions(base)
        .setHost(config.forwardProxy().host())
        // Port 0 as -2: every instance shares one free port (-1 is the agent port's).
        .setPort(config.forwardProxy().port() == 0 ? -2 : config.forwardProxy().port());
    List<HttpServer> listening = listenOnEveryCore(vertx, () -> vertx.createHttpServer(options)
        .connectionHandler(slowClients::connected)
        .invalidRequestHandler(new InvalidRequests(recordOutcome))
        .requestHandler(port));
    List<HttpServer> all = new ArrayList<>(listening);
    all.addAll(intercepting);
    return all;
  }

  private static TokenExchange tokenExchange(Storage storage, TokenState tokens, Clock clock) {
    return new TokenExchange(new AgentRegistry(storage.kv()), () -> tokens.issuer().orElse(null),
        tokens,
        new FailureLimiter(EXCHANGE_FAILURES_PER_AGENT_AND_ADDRESS, Duration.ofMinutes(1),
            Tickers.of(clock)),
        new FailureLimiter(EXCHANGE_FAILURES_PER_ADDRESS, Duration.ofMinutes(1),
            Tickers.of(clock)));
  }

  private static List<HttpServer> listenForAgents(KeywardConfig config, Vertx vertx,
      AgentPort agentPort, SlowClientGuard slowClients, RecordOutcome recordOutcome)
      throws Exception {
    HttpServerOptions options = new HttpServerOptions(agentOptions(config))
        .setHost(config.host())
        // Port 0 as -1: every instance shares the one free port picked for the first.
        .setPort(config.port() == 0 ? -1 : config.port());
    return listenOnEveryCore(vertx, () -> vertx.createHttpServer(options)
        .connectionHandler(slowClients::connected)
        .invalidRequestHandler(new InvalidRequests(recordOutcome))
        .requestHandler(agentPort));
  }

  /** What every server agents reach shares: its limits and timeouts. */
  private static HttpServerOptions agentOptions(KeywardConfig config) {
    KeywardConfig.Limits limits = config.limits();
    return new HttpServerOptions()
        .setMaxHeaderSize(limits.maxHeaderSize())
        .setIdleTimeout((int) limits.clientIdleTimeout().toMillis())
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
        .setHandle100ContinueAutomatically(true)
        // Agents speak HTTP/1.1. Sniffing for h2c would also hold a connection outside
        // the slow-client guard while its first bytes trickle in.
        .setHttp2ClearTextEnabled(false);
  }

  /** The port the agent-facing server listens on (useful when configured as 0). */
  public int port() {
    return servers.get(0).actualPort();
  }

  /** The forward-proxy port ({@code forward_proxy.listen}). */
  public int forwardProxyPort() {
    if (forwardServers.isEmpty()) {
      throw new IllegalStateException("the forward proxy is off (forward_proxy.listen is unset)");
    }
    return forwardServers.get(0).actualPort();
  }

  /** The admin API's port. */
  public int adminPort() {
    if (adminServer == null) {
      throw new IllegalStateException("the admin API is disabled (admin.enabled: false)");
    }
    return adminServer.actualPort();
  }

  /**
   * Stops accepting connections, answers new requests on open connections with 503
   * shutting_down, lets in-flight requests finish up to the grace period, writes the audit log's
   * final checkpoint, then stops. Safe to call more than once (a SIGTERM hook and a test may both
   * call it).
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    agentPort.drain();
    LOG.info("shutting down: finishing requests in flight (up to {})", SHUTDOWN_GRACE);
    try {
      List<HttpServer> agentFacing = new ArrayList<>(servers);
      agentFacing.addAll(forwardServers);
      Future.all(agentFacing.stream()
              .map(server -> server.shutdown(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS))
              .toList())
          .toCompletionStage().toCompletableFuture()
          .get(SHUTDOWN_GRACE.toSeconds() + 5, TimeUnit.SECONDS);
      if (adminServer != null) {
        await(adminServer.close());
      }
    } catch (Exception e) {
      LOG.warn("shutdown did not complete cleanly: {}", rootMessage(e));
    } finally {
      closeAll(resources);
    }
  }

  /**
   * One agent-facing server per core, each on its own event loop, all on the same port (Vert.x
   * shares it and spreads connections among them). A server created outside a verticle would put
   * every connection on one event loop, so one core.
   */
  private static List<HttpServer> listenOnEveryCore(Vertx vertx, Supplier<HttpServer> create)
      throws Exception {
    List<HttpServer> servers = new CopyOnWriteArrayList<>();
    await(vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        HttpServer server = create.get();
        servers.add(server);
        return server.listen();
      }
    }, new DeploymentOptions().setInstances(Runtime.getRuntime().availableProcessors())));
    return servers;
  }

  /** An operator's change made here is in force here before the admin API answers. */
  private static AppliedHere appliedHere(TokenState tokens, SealedCredentialCache cache) {
    return new AppliedHere() {
      @Override
      public void tokenStateChanged() throws OperationException {
        if (!tokens.refresh()) {
          throw new OperationException(OperationError.STORE_UNAVAILABLE, "the change is stored,"
              + " but this instance could not re-read it; it applies at the next refresh");
        }
      }

      @Override
      public void credentialChanged(String tenant, String id) {
        cache.invalidate(tenant, id);
      }
    };
  }

  /** Registers what the metrics read from each part, and the readiness checks. */
  private static Health observe(Metrics metrics, Storage storage, TokenState tokens,
      TokenVerifier verifier, NewTokenVerifications newTokens, SealedCredentialCache cache,
      PolicyReloader reloader, AuditLog audit, BudgetGate budgets, AgentPort agentPort) {
    metrics.cache("keyward_token_cache", verifier::cacheStats, verifier::cachedTokens);
    metrics.count("keyward_token_checks", "Signature checks of new platform tokens, off the"
        + " event loop", newTokens::started);
    metrics.count("keyward_token_checks_joined", "Requests that shared a new token's signature"
        + " check already under way", newTokens::joined);
    metrics.count("keyward_token_checks_busy", "New tokens refused with token_verification_busy",
        newTokens::refusedBusy);
    metrics.gauge("keyward_token_checks_pending", "Signature checks of new tokens waiting or"
        + " running", newTokens::pending);
    metrics.cache("keyward_credential_cache", cache::stats, cache::size);
    metrics.gauge("keyward_credential_cache_oldest_age_seconds",
        "Age of the stalest cached credential: about the TTL while the store answers",
        () -> cache.oldestAge().toMillis() / 1000.0);
    metrics.count("keyward_vault_errors", "Failed Vault calls, logins and renewals",
        storage::vaultErrors);
    metrics.count("keyward_token_state_refresh_failures",
        "Failed reads of signing keys and revocations from the store", tokens::refreshFailures);
    metrics.count("keyward_policy_reload_failures",
        "Policy reloads refused (unreadable or invalid file)", reloader::failures);
    metrics.count("keyward_audit_write_failures", "Failed audit log writes",
        audit::writeFailures);
    metrics.gauge("keyward_audit_writable", "1 while the audit log can be written",
        () -> audit.healthy() ? 1 : 0);
    Health health = new Health(List.of(
        new Health.Check("serving", () -> !agentPort.draining(), "shutting down"),
        new Health.Check("audit", audit::accepting,
            "the audit log cannot be written (requests are refused: fail_closed)"),
        new Health.Check("store", () -> tokens.storeReachable() || cache.size() > 0,
            "the store cannot be read and no credential is cached"),
        // Shared by every replica: taking them all out of service would fail every call, not
        // only those a budget counts (which get 503 budget_unavailable, or pass uncounted).
        Health.Check.shown("budgets", budgets::storeAvailable,
            () -> "the budget store is unavailable (calls that budgets count are refused, or"
                + " pass uncounted where on_store_failure: allow): " + budgets.storeFailure())));
    metrics.gauge("keyward_ready", "1 while /readyz says ready", () -> health.ready() ? 1 : 0);
    return health;
  }

  private static AuditLog openAudit(KeywardConfig config, Storage storage, Clock clock)
      throws ConfigException {
    try {
      Optional<KeysetHandle> pinned = config.audit().publicKey().isPresent()
          ? Optional.of(AuditKeys.readPublicKeyset(config.audit().publicKey().get()))
          : Optional.empty();
      return new AuditLog(config.audit(), AuditKeys.signer(storage.kv(), storage.kek(),
          config.audit().instance(), pinned), storage.kv(), clock, System.out);
    } catch (KvException | GeneralSecurityException | IOException e) {
      throw new ConfigException("cannot load the audit signing key: " + rootMessage(e), e);
    }
  }

  private static HttpServerOptions adminOptions(KeywardConfig.Admin admin,
      KeywardConfig.Limits limits) {
    HttpServerOptions options = new HttpServerOptions()
        .setHost(admin.host())
        .setPort(admin.port())
        .setMaxHeaderSize(limits.maxHeaderSize())
        .setIdleTimeout((int) limits.clientIdleTimeout().toMillis())
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
    admin.tls().ifPresentOrElse(tls -> options.setSsl(true).setKeyCertOptions(
        new PemKeyCertOptions().setCertPath(tls.cert().toString())
            .setKeyPath(tls.key().toString())), () -> {
          if (!isLoopback(admin.host())) {
            LOG.warn("the admin API listens on {} without TLS: operator tokens and the secrets"
                + " being stored cross the network in the clear; set admin.tls_cert and"
                + " admin.tls_key", admin.host());
          }
        });
    return options;
  }

  private static boolean isLoopback(String host) {
    return host.equals("localhost") || host.equals("::1") || host.startsWith("127.");
  }

  private static void await(Future<?> future) throws Exception {
    future.toCompletionStage().toCompletableFuture().get(START_TIMEOUT.toSeconds(),
        TimeUnit.SECONDS);
  }

  private static void closeAll(Deque<AutoCloseable> resources) {
    while (!resources.isEmpty()) {
      try {
        resources.pop().close();
      } catch (Exception e) {
        LOG.warn("while stopping: {}", rootMessage(e));
      }
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
