package dev.keyward.proxy.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.keyward.llm.InvalidPriceTableException;
import dev.keyward.llm.PriceTable;
import dev.keyward.policies.Names;
import dev.keyward.policies.Sizes;
import dev.keyward.policies.YamlTree;
import dev.keyward.proxy.audit.AuditLog;
import dev.keyward.proxy.forwardproxy.TunnelLimits;
import dev.keyward.vault.SealedCredentialCache;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Keyward's configuration, checked and with every default applied. Relative paths are resolved
 * against the directory of the configuration file. Every setting, its default and its meaning are
 * in {@code docs/configuration.md}.
 */
public record KeywardConfig(
    String host,
    int port,
    Path policy,
    Duration policyReloadInterval,
    StorageConfig storage,
    String issuer,
    Optional<Path> jwks,
    Duration tokenRefreshInterval,
    List<Path> trustCa,
    Duration connectTimeout,
    Duration firstByteTimeout,
    Duration idleTimeout,
    boolean http2,
    boolean forwardAgentNetwork,
    List<ConnectTo> connectTo,
    Limits limits,
    AuditLog.Settings audit,
    Admin admin,
    Duration credentialTtl,
    Duration credentialStaleWindow,
    BudgetsConfig budgets,
    PriceTable pricing,
    ForwardProxy forwardProxy,
    RoutingConfig routing) {

  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 8080;
  public static final String DEFAULT_ISSUER = "keyward";
  public static final Duration DEFAULT_TOKEN_REFRESH = Duration.ofSeconds(5);
  public static final Duration DEFAULT_POLICY_RELOAD = Duration.ofSeconds(2);
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_FIRST_BYTE_TIMEOUT = Duration.ofMinutes(5);
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);

  /**
   * What one agent request may cost.
   *
   * @param maxHeaderSize request headers larger than this get 431
   * @param maxRequestBody default body limit (routes may set their own) → 413
   * @param requestHeaderTimeout time to send complete request headers (slowloris)
   * @param clientIdleTimeout an agent connection with no bytes for this long is closed
   * @param maxRequestDuration no exchange lasts longer, streamed or not
   * @param maxUpstreamConnections HTTP/1.1 connections open at once to one upstream (host and
   *     port) from one event loop; a call streaming its answer holds one throughout, so this bounds the streams in
   *     flight to one upstream, and calls beyond it wait for one up to the connect timeout
   */
  public record Limits(int maxHeaderSize, long maxRequestBody, Duration requestHeaderTimeout,
      Duration clientIdleTimeout, Duration maxRequestDuration, int maxUpstreamConnections) {

    public static final Limits DEFAULTS = new Limits(32 * 1024, 128L * 1024 * 1024,
        Duration.ofSeconds(10), Duration.ofMinutes(2), Duration.ofHours(1), 1024);
  }

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  public KeywardConfig {
    trustCa = List.copyOf(trustCa);
    connectTo = List.copyOf(connectTo);
  }

  /**
   * Reads and checks a configuration file.
   *
   * @throws ConfigException naming the file, the setting and what to write instead
   */
  public static KeywardConfig load(Path file) throws ConfigException {
    return load(file, System.getenv());
  }

  /** As {@link #load(Path)}, with {@code env} standing in for the environment variables. */
  public static KeywardConfig load(Path file, Map<String, String> env) throws ConfigException {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new ConfigException("cannot read the configuration " + file + ": " + e.getMessage());
    }
    // The shape first, every problem at its line; then values, every problem located by name.
    List<YamlTree.Problem> shape = new ArrayList<>();
    YamlTree.Node root = YamlTree.parse(text, shape);
    if (root != null) {
      ConfigShape.check(root, ConfigFile.class, "", shape);
    }
    if (!shape.isEmpty()) {
      throw new ConfigException(shape.stream().map(p -> at(file, Optional.of(p.location()))
          + p.message()).collect(Collectors.joining("\n")));
    }
    ConfigFile raw;
    try {
      raw = YAML.readValue(text, ConfigFile.class);
    } catch (JsonProcessingException e) { // the shape check lets nothing through that fails here
      throw new ConfigException(file + ": " + e.getOriginalMessage().lines().findFirst()
          .orElse("invalid configuration"));
    }
    if (raw == null) {
      throw new ConfigException(file + ": the configuration is empty");
    }
    List<String> problems = new ArrayList<>();
    KeywardConfig config = resolve(raw, file.toAbsolutePath().getParent(), env, problems);
    if (!problems.isEmpty()) {
      Map<String, YamlTree.Location> settings = ConfigShape.locations(root);
      throw new ConfigException(problems.stream()
          .map(problem -> new YamlTree.Problem(ConfigShape.locate(problem, settings)
              .orElse(new YamlTree.Location(0, 0)), problem))
          .sorted(Comparator.comparingInt((YamlTree.Problem p) -> p.location().line())
              .thenComparingInt(p -> p.location().column()))
          .map(p -> at(file, Optional.of(p.location())) + p.message())
          .collect(Collectors.joining("\n")));
    }
    return config;
  }

  /** {@code file:line:column: }, or {@code file: } when the setting is not in the file. */
  private static String at(Path file, Optional<YamlTree.Location> location) {
    return location.filter(l -> l.line() > 0)
        .map(l -> file + ":" + l.line() + ":" + l.column() + ": ").orElse(file + ": ");
  }

  /** This configuration listening on another address. */
  public KeywardConfig withListen(String newHost, int newPort) {
    return new KeywardConfig(newHost, newPort, policy, policyReloadInterval, storage, issuer, jwks,
        tokenRefreshInterval, trustCa, connectTimeout, firstByteTimeout, idleTimeout, http2,
        forwardAgentNetwork, connectTo, limits, audit, admin, credentialTtl, credentialStaleWindow,
        budgets, pricing, forwardProxy, routing);
  }

  /** The same configuration with the admin API on another port (0: any free one). */
  public KeywardConfig withAdminPort(int newPort) {
    return new KeywardConfig(host, port, policy, policyReloadInterval, storage, issuer, jwks,
        tokenRefreshInterval, trustCa, connectTimeout, firstByteTimeout, idleTimeout, http2,
        forwardAgentNetwork, connectTo, limits, audit,
        new Admin(admin.enabled(), admin.host(), newPort, admin.tls()), credentialTtl,
        credentialStaleWindow, budgets, pricing, forwardProxy, routing);
  }

  /** The same configuration with these {@code upstream.connect_to} rules instead. */
  public KeywardConfig withConnectTo(List<ConnectTo> rules) {
    return new KeywardConfig(host, port, policy, policyReloadInterval, storage, issuer, jwks,
        tokenRefreshInterval, trustCa, connectTimeout, firstByteTimeout, idleTimeout, http2,
        forwardAgentNetwork, rules, limits, audit, admin, credentialTtl, credentialStaleWindow,
        budgets, pricing, forwardProxy, routing);
  }

  /**
   * The forward-proxy port ({@code forward_proxy.listen}); off unless set.
   *
   * @param port 0 picks a free port
   * @param tunnels how long and how many tunnels may stay open
   */
  public record ForwardProxy(boolean enabled, String host, int port, TunnelLimits tunnels) {
    public static final ForwardProxy OFF =
        new ForwardProxy(false, DEFAULT_HOST, 0, TunnelLimits.DEFAULTS);
  }

  /** The same configuration with the forward proxy listening on {@code host:port}. */
  public KeywardConfig withForwardProxy(String newHost, int newPort) {
    return new KeywardConfig(host, port, policy, policyReloadInterval, storage, issuer, jwks,
        tokenRefreshInterval, trustCa, connectTimeout, firstByteTimeout, idleTimeout, http2,
        forwardAgentNetwork, connectTo, limits, audit, admin, credentialTtl,
        credentialStaleWindow, budgets, pricing,
        new ForwardProxy(true, newHost, newPort, forwardProxy.tunnels()), routing);
  }

  private static ForwardProxy forwardProxy(ConfigFile.ForwardProxy raw, List<String> problems) {
    if (raw == null || raw.listen() == null) {
      return ForwardProxy.OFF;
    }
    String listen = raw.listen().trim();
    int colon = listen.lastIndexOf(':');
    if (colon <= 0 || colon < listen.lastIndexOf(']')) {
      problems.add("forward_proxy.listen: write host:port, e.g. 127.0.0.1:3128");
      return ForwardProxy.OFF;
    }
    String host = listen.substring(0, colon);
    int port;
    try {
      port = Integer.parseInt(listen.substring(colon + 1));
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 0 || port > 65535) {
      problems.add("forward_proxy.listen: the port must be 0-65535 (0 picks a free port)");
      return ForwardProxy.OFF;
    }
    return new ForwardProxy(true, host.startsWith("[") ? host.substring(1, host.length() - 1)
        : host, port, tunnelLimits(raw, problems));
  }

  private static TunnelLimits tunnelLimits(ConfigFile.ForwardProxy raw, List<String> problems) {
    TunnelLimits d = TunnelLimits.DEFAULTS;
    Duration idle = duration(raw.tunnelIdleTimeout(), d.idleTimeout(),
        "forward_proxy.tunnel_idle_timeout", problems);
    Duration lifetime = duration(raw.tunnelMaxLifetime(), d.maxLifetime(),
        "forward_proxy.tunnel_max_lifetime", problems);
    int max = raw.maxTunnels() == null ? d.maxTunnels() : raw.maxTunnels();
    int perAgent = raw.maxTunnelsPerAgent() == null ? d.maxTunnelsPerAgent()
        : raw.maxTunnelsPerAgent();
    if (max < 1 || perAgent < 1) {
      problems.add("forward_proxy.max_tunnels and max_tunnels_per_agent must be at least 1");
      return d;
    }
    if (idle.isNegative() || idle.isZero() || lifetime.isNegative() || lifetime.isZero()) {
      return d; // reported by duration()
    }
    return new TunnelLimits(idle, lifetime, max, perAgent);
  }

  /** The configuration with defaults applied; every problem found goes to {@code problems}. */
  private static KeywardConfig resolve(ConfigFile raw, Path base, Map<String, String> env,
      List<String> problems) {
    ConfigFile.Listen listen = raw.listen() == null ? new ConfigFile.Listen(null, null) : raw.listen();
    String host = listen.host() == null ? DEFAULT_HOST : listen.host();
    int port = listen.port() == null ? DEFAULT_PORT : listen.port();
    if (port < 0 || port > 65535) {
      problems.add("listen.port must be 0-65535 (0 picks a free port)");
    }
    Path policy = required(raw.policy(), "policy", base, problems);
    Duration policyReload = duration(raw.policyReloadInterval(), DEFAULT_POLICY_RELOAD,
        "policy_reload_interval", problems);
    StorageConfig storage = StorageConfig.resolve(raw, base, env, problems);
    ConfigFile.Tokens tokens = raw.tokens() == null ? new ConfigFile.Tokens(null, null, null) : raw.tokens();
    Optional<Path> jwks = Optional.ofNullable(tokens.jwks()).map(base::resolve);
    Duration tokenRefresh = duration(tokens.refreshInterval(), DEFAULT_TOKEN_REFRESH,
        "tokens.refresh_interval", problems);
    ConfigFile.Upstream upstream = raw.upstream() == null
        ? new ConfigFile.Upstream(null, null, null, null, null, null, null) : raw.upstream();
    List<Path> trustCa = upstream.trustCa() == null ? List.of()
        : upstream.trustCa().stream().map(base::resolve).toList();
    Duration connectTimeout = duration(upstream.connectTimeout(), DEFAULT_CONNECT_TIMEOUT,
        "upstream.connect_timeout", problems);
    Duration firstByteTimeout = duration(upstream.firstByteTimeout(), DEFAULT_FIRST_BYTE_TIMEOUT,
        "upstream.first_byte_timeout", problems);
    Duration idleTimeout = duration(upstream.idleTimeout(), DEFAULT_IDLE_TIMEOUT,
        "upstream.idle_timeout", problems);
    Limits limits = limits(raw.limits(), problems);
    List<ConnectTo> connectTo = new ArrayList<>();
    if (upstream.connectTo() != null) {
      for (String rule : upstream.connectTo()) {
        try {
          connectTo.add(ConnectTo.parse(rule));
        } catch (IllegalArgumentException e) {
          problems.add("upstream.connect_to: " + e.getMessage());
        }
      }
    }
    ConfigFile.CredentialsCache cache = raw.credentialsCache() == null
        ? new ConfigFile.CredentialsCache(null, null) : raw.credentialsCache();
    Duration ttl = duration(cache.ttl(), SealedCredentialCache.DEFAULT_TTL,
        "credentials_cache.ttl", problems);
    Duration stale = duration(cache.staleWindow(), SealedCredentialCache.DEFAULT_STALE_WINDOW,
        "credentials_cache.stale_window", problems);
    if (stale.compareTo(ttl) < 0) {
      problems.add("credentials_cache.stale_window must not be shorter than credentials_cache.ttl");
    }
    BudgetsConfig budgets = BudgetsConfig.resolve(raw.budgets(), base,
        limits.maxRequestDuration(), problems);
    AuditLog.Settings audit = audit(raw.audit(), base, env, problems);
    Admin admin = admin(raw.admin(), base, problems);
    PriceTable pricing = pricing(raw.pricing(), base, problems);
    ForwardProxy forwardProxy = forwardProxy(raw.forwardProxy(), problems);
    RoutingConfig routing = RoutingConfig.resolve(raw.routing(), problems);
    if (!problems.isEmpty()) {
      return null;
    }
    return new KeywardConfig(host, port, policy, policyReload, storage,
        tokens.issuer() == null ? DEFAULT_ISSUER : tokens.issuer(), jwks, tokenRefresh, trustCa,
        connectTimeout, firstByteTimeout, idleTimeout, !Boolean.FALSE.equals(upstream.http2()),
        Boolean.TRUE.equals(upstream.forwardAgentNetwork()), connectTo, limits, audit, admin, ttl,
        stale, budgets, pricing, forwardProxy, routing);
  }

  private static Limits limits(ConfigFile.Limits raw, List<String> problems) {
    Limits d = Limits.DEFAULTS;
    if (raw == null) {
      return d;
    }
    long header = size(raw.maxHeaderSize(), d.maxHeaderSize(), "limits.max_header_size", problems);
    if (header < 8 * 1024 + 1024 || header > 1024 * 1024) {
      problems.add("limits.max_header_size must be between 9KiB (an 8 KiB token fits) and 1MiB");
    }
    return new Limits((int) header,
        size(raw.maxRequestBody(), d.maxRequestBody(), "limits.max_request_body", problems),
        duration(raw.requestHeaderTimeout(), d.requestHeaderTimeout(),
            "limits.request_header_timeout", problems),
        duration(raw.clientIdleTimeout(), d.clientIdleTimeout(), "limits.client_idle_timeout",
            problems),
        duration(raw.maxRequestDuration(), d.maxRequestDuration(), "limits.max_request_duration",
            problems),
        upstreamConnections(raw.maxUpstreamConnections(), d.maxUpstreamConnections(), problems));
  }

  private static int upstreamConnections(Integer raw, int fallback, List<String> problems) {
    if (raw == null) {
      return fallback;
    }
    if (raw < 1 || raw > 65_536) {
      problems.add("limits.max_upstream_connections must be between 1 and 65536, not " + raw);
      return fallback;
    }
    return raw;
  }

  /**
   * The admin API's listener: its own address, never the agents' port.
   *
   * @param enabled false turns the admin API (and metrics and health) off
   * @param tls certificate and key (PEM) to serve the admin API over HTTPS; empty for plain HTTP,
   *     which is only sensible on loopback
   */
  public record Admin(boolean enabled, String host, int port, Optional<AdminTls> tls) {
    public static final int DEFAULT_PORT = 8081;
  }

  /** PEM files of the admin listener's certificate chain and private key. */
  public record AdminTls(Path cert, Path key) {}

  private static Admin admin(ConfigFile.Admin raw, Path base, List<String> problems) {
    if (raw == null) {
      return new Admin(true, DEFAULT_HOST, Admin.DEFAULT_PORT, Optional.empty());
    }
    int port = raw.port() == null ? Admin.DEFAULT_PORT : raw.port();
    if (port < 0 || port > 65535) {
      problems.add("admin.port must be 0-65535");
    }
    Optional<AdminTls> tls = Optional.empty();
    if ((raw.tlsCert() == null) != (raw.tlsKey() == null)) {
      problems.add("admin: set both tls_cert and tls_key, or neither");
    } else if (raw.tlsCert() != null) {
      tls = Optional.of(new AdminTls(base.resolve(raw.tlsCert()), base.resolve(raw.tlsKey())));
    }
    return new Admin(!Boolean.FALSE.equals(raw.enabled()),
        raw.host() == null ? DEFAULT_HOST : raw.host(), port, tls);
  }

  private static AuditLog.Settings audit(ConfigFile.Audit raw, Path base, Map<String, String> env,
      List<String> problems) {
    ConfigFile.Audit a = raw == null ? new ConfigFile.Audit(null, null, null, null, null, null, null, null) : raw;
    Optional<Path> file = Optional.ofNullable(a.file()).map(base::resolve);
    boolean stdout = a.stdout() == null ? file.isEmpty() : a.stdout();
    if (file.isEmpty() && !stdout) {
      problems.add("audit: set audit.file, or leave audit.stdout on: every decision is audited");
    }
    AuditLog.OnFailure onFailure = AuditLog.OnFailure.FAIL_CLOSED;
    if (a.onFailure() != null) {
      switch (a.onFailure()) {
        case "fail_closed" -> onFailure = AuditLog.OnFailure.FAIL_CLOSED;
        case "fail_open" -> onFailure = AuditLog.OnFailure.FAIL_OPEN;
        default -> problems.add("audit.on_failure must be fail_closed or fail_open");
      }
    }
    String instance = a.instance() != null ? a.instance() : instanceName(env);
    if (!Names.isValid(instance)) {
      problems.add("audit.instance: use " + Names.RULE);
    }
    return new AuditLog.Settings(file, stdout,
        size(a.maxFileSize(), 100L * 1024 * 1024, "audit.max_file_size", problems),
        duration(a.checkpointInterval(), Duration.ofMinutes(1), "audit.checkpoint_interval",
            problems),
        onFailure, instance,
        duration(a.witnessInterval(), AuditLog.Settings.DEFAULT_WITNESS_INTERVAL,
            "audit.witness_interval", problems),
        Optional.ofNullable(a.publicKey()).map(base::resolve));
  }

  /**
   * The price table: {@code pricing.models}, or the {@code pricing.models} of {@code pricing.file}
   * (the shape of the example docs/llm.md ships). Empty: every LLM call is metered in tokens and
   * costed {@code unpriced}.
   */
  private static PriceTable pricing(ConfigFile.Pricing raw, Path base, List<String> problems) {
    if (raw == null) {
      return PriceTable.EMPTY;
    }
    Map<?, ?> models = raw.models();
    if (raw.file() != null) {
      if (models != null) {
        problems.add("pricing: set pricing.models or pricing.file, not both");
        return PriceTable.EMPTY;
      }
      try {
        Map<?, ?> file = YAML.readValue(Files.readString(base.resolve(raw.file())), Map.class);
        Object section = file == null ? null : file.get("pricing");
        models = section instanceof Map<?, ?> pricing && pricing.get("models") instanceof Map<?, ?> m
            ? m : null;
        if (models == null) {
          problems.add("pricing.file " + raw.file() + " has no pricing.models mapping");
          return PriceTable.EMPTY;
        }
      } catch (IOException e) {
        problems.add("pricing.file: cannot read " + raw.file() + ": " + e.getMessage());
        return PriceTable.EMPTY;
      }
    }
    try {
      return PriceTable.fromMap(models);
    } catch (InvalidPriceTableException e) {
      e.problems().forEach(problem -> problems.add("pricing.models: " + problem));
      return PriceTable.EMPTY;
    }
  }

  /** This host's name in the identifier alphabet (a pod name in Kubernetes). */
  static String instanceName(Map<String, String> env) {
    String host = env.getOrDefault("HOSTNAME", "");
    if (host.isBlank()) {
      try {
        host = java.net.InetAddress.getLocalHost().getHostName();
      } catch (java.net.UnknownHostException e) {
        host = "keyward";
      }
    }
    String cleaned = host.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9._-]", "-")
        .replaceAll("^[^a-z0-9]+", "");
    return cleaned.isEmpty() ? "keyward" : cleaned.substring(0, Math.min(64, cleaned.length()));
  }

  private static long size(String value, long fallback, String name, List<String> problems) {
    if (value == null) {
      return fallback;
    }
    try {
      return Sizes.parse(value);
    } catch (IllegalArgumentException e) {
      problems.add(name + ": " + e.getMessage());
      return fallback;
    }
  }

  private static Path required(String value, String name, Path base, List<String> problems) {
    if (value == null || value.isBlank()) {
      problems.add(name + " is required");
      return null;
    }
    return base.resolve(value);
  }

  private static Duration duration(String value, Duration fallback, String name,
      List<String> problems) {
    if (value == null) {
      return fallback;
    }
    try {
      Duration d = Durations.parse(value);
      if (d.isZero()) {
        problems.add(name + " must be longer than zero");
      }
      return d;
    } catch (IllegalArgumentException e) {
      problems.add(name + ": " + e.getMessage());
      return fallback;
    }
  }
}
