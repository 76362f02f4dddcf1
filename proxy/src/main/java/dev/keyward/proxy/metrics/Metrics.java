package dev.keyward.proxy.metrics;

import com.github.benmanes.caffeine.cache.stats.CacheStats;
import dev.keyward.llm.Cost;
import dev.keyward.llm.Usage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Keyward's Prometheus metrics, served on the admin port at {@code /metrics}. Every label value
 * comes from a bounded set: route names from the policy, decisions, stable error codes, HTTP
 * statuses. Never a secret, a token, an agent-chosen name or a path.
 */
public final class Metrics {

  /** The route label of requests to explicit targets ({@code /t/<host>/…}). */
  public static final String EXPLICIT_TARGET = "target";
  /** The route label of the forward proxy's connections and of the requests inside them. */
  public static final String FORWARD_PROXY = "forward_proxy";
  /** The route label of requests refused before a route or target was resolved. */
  public static final String NO_ROUTE = "none";
  /**
   * The model label of LLM calls whose model has no price: model names are the agent's (or an
   * upstream's) choice, so only priced ones, from the operator's price table, become labels.
   */
  public static final String UNPRICED = "unpriced";

  private static final Duration[] LATENCY_SLOS = {
      Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
      Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
      Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
      Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
      Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofMinutes(5)};

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  /** Meters by label values, so the hot path does one map lookup, not a registry lookup. */
  private final ConcurrentHashMap<RequestKey, Counter> requests = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Timer> totalLatency = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Timer> upstreamLatency = new ConcurrentHashMap<>();

  /**
   * Function counters hold what they read weakly; the suppliers given here are lambdas nothing
   * else holds, so they are kept here or a garbage collection would turn the counters to NaN.
   */
  private final List<Object> held = new CopyOnWriteArrayList<>();

  private record RequestKey(String route, String decision, String code, int status) {}

  private record LlmKey(String tenant, String credential, String model) {}

  /** The counters of one tenant, credential and model, bound once. */
  private record LlmMeters(Counter calls, Counter input, Counter output, Counter cachedInput,
      Counter reasoning, Counter estimated, Counter costUsd) {}

  private final ConcurrentHashMap<LlmKey, LlmMeters> llm = new ConcurrentHashMap<>();

  private record AttemptKey(String route, String target, String outcome, String code) {}

  private final ConcurrentHashMap<AttemptKey, Counter> attempts = new ConcurrentHashMap<>();

  /**
   * The JVM's and the process's own meters, bound on their own thread: their java.lang.management
   * beans take a noticeable part of start-up, and nothing reads them before the admin port listens.
   */
  private final FutureTask<Void> jvmMeters = new FutureTask<>(() -> {
    new JvmMemoryMetrics().bindTo(registry);
    bindGcCounters();
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
  }, null);

  /**
   * Collections and their time per collector, read from the collectors' beans when scraped.
   * Micrometer's {@code JvmGcMetrics} instead listens to every collection's notification, which
   * builds a composite record and wakes a thread per young collection: dozens a second under load.
   */
  private void bindGcCounters() {
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      FunctionCounter.builder("jvm.gc.collections", gc, GarbageCollectorMXBean::getCollectionCount)
          .tag("gc", gc.getName())
          .description("Collections by this collector")
          .register(registry);
      FunctionCounter.builder("jvm.gc.collection.time", gc, bean -> bean.getCollectionTime() / 1e3)
          .tag("gc", gc.getName())
          .baseUnit("seconds")
          .description("Time spent in this collector's collections")
          .register(registry);
    }
  }

  public Metrics() {
    Thread binder = new Thread(jvmMeters, "keyward-jvm-metrics");
    binder.setDaemon(true);
    binder.start();
  }

  /** Returns once the JVM's and the process's meters are registered (before serving metrics). */
  public void awaitJvmMeters() throws InterruptedException, ExecutionException {
    jvmMeters.get();
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /**
   * Vert.x's own metrics on the same registry: its worker and connection pools. Labels: pool type
   * and name only. Requests are measured by {@link #request} instead: Vert.x's HTTP server metrics
   * label by the agent's path, and its HTTP client metrics cost about a tenth of Keyward's CPU per
   * request (docs/performance.md) for what the upstream latency histogram already says.
   */
  public VertxOptions vertxMetrics(VertxOptions options) {
    Set<String> disabled = Stream.of(MetricsDomain.HTTP_SERVER, MetricsDomain.NET_SERVER,
            MetricsDomain.NET_CLIENT, MetricsDomain.HTTP_CLIENT, MetricsDomain.DATAGRAM_SOCKET, MetricsDomain.EVENT_BUS,
            MetricsDomain.VERTICLES)
        .map(MetricsDomain::toCategory).collect(Collectors.toSet());
    return options.setMetricsOptions(new MicrometerMetricsOptions()
        .setEnabled(true)
        .setLabels(EnumSet.of(Label.POOL_TYPE, Label.POOL_NAME))
        .setDisabledMetricsCategories(disabled));
  }

  /**
   * One proxied request, at its end.
   *
   * @param upstreamNanos time from sending it upstream to the upstream's response head; negative
   *     when the upstream was never asked or never answered
   */
  public void request(String route, String decision, String code, int status, long totalNanos,
      long upstreamNanos) {
    requests.computeIfAbsent(new RequestKey(route, decision, code, status), key ->
        Counter.builder("keyward_requests")
            .description("Proxied requests by route, decision, code and status")
            .tag("route", key.route())
            .tag("decision", key.decision())
            .tag("code", key.code())
            .tag("status", Integer.toString(key.status()))
            .register(registry)).increment();
    totalLatency.computeIfAbsent(route, r -> latency("keyward_request_duration",
        "Time from the request's arrival to the end of the response", r))
        .record(totalNanos, TimeUnit.NANOSECONDS);
    if (upstreamNanos >= 0) {
      upstreamLatency.computeIfAbsent(route, r -> latency("keyward_upstream_duration",
          "Time from sending the request upstream to the upstream's response head", r))
          .record(upstreamNanos, TimeUnit.NANOSECONDS);
    }
  }

  /**
   * One metered LLM call: its tokens by kind and its cost, per tenant, credential and model
   * (agent ids are unbounded and stay out of labels).
   *
   * @param model a priced model's name, or {@link #UNPRICED}
   */
  public void llmCall(String tenant, String credential, String model, Usage usage, Cost cost) {
    LlmMeters m = llm.computeIfAbsent(new LlmKey(tenant, credential, model), key -> new LlmMeters(
        llmCounter("keyward_llm_calls", "Metered LLM calls", key, null),
        llmCounter("keyward_llm_tokens", "Tokens used", key, "input"),
        llmCounter("keyward_llm_tokens", "Tokens used", key, "output"),
        llmCounter("keyward_llm_tokens", "Tokens used", key, "cached_input"),
        llmCounter("keyward_llm_tokens", "Tokens used", key, "reasoning"),
        llmCounter("keyward_llm_estimated_calls",
            "Calls metered by estimate (a stream cut before the provider reported usage)", key,
            null),
        Counter.builder("keyward_llm_cost_usd")
            .description("What metered calls cost, in USD (priced models only)")
            .baseUnit("usd").tags("tenant", key.tenant(), "credential", key.credential(),
                "model", key.model())
            .register(registry)));
    m.calls().increment();
    m.input().increment(usage.inputTokens());
    m.output().increment(usage.outputTokens());
    m.cachedInput().increment(usage.cachedInputTokens());
    m.reasoning().increment(usage.reasoningTokens());
    if (usage.estimated()) {
      m.estimated().increment();
    }
    if (cost.priced()) {
      m.costUsd().increment(cost.nanoUsd() / 1e9);
    }
  }

  private Counter llmCounter(String name, String description, LlmKey key, String kind) {
    Counter.Builder builder = Counter.builder(name).description(description)
        .tags("tenant", key.tenant(), "credential", key.credential(), "model", key.model());
    if (kind != null) {
      builder.tag("kind", kind);
    }
    return builder.register(registry);
  }

  /**
   * One attempt of a route with targets, once it ended: {@code served}, {@code failed} or {@code
   * skipped}, with the code of what stopped it. Route and target names come from the policy.
   */
  public void attempt(String route, String target, String outcome, String code) {
    attempts.computeIfAbsent(new AttemptKey(route, target, outcome, code), key ->
        Counter.builder("keyward_target_attempts")
            .description("Attempts of routes with targets, by route, target, outcome and code")
            .tags("route", key.route(), "target", key.target(), "outcome", key.outcome(),
                "code", key.code())
            .register(registry)).increment();
  }

  /**
   * A target's circuit and measured latency on this replica, read at scrape time: {@code
   * keyward_target_circuit_state} (0 closed, 1 half open, 2 open) and {@code
   * keyward_target_first_byte_seconds} (the moving average; NaN while cold).
   */
  public void target(String route, String target, DoubleSupplier circuit,
      DoubleSupplier firstByteSeconds) {
    Gauge.builder("keyward_target_circuit_state", circuit, DoubleSupplier::getAsDouble)
        .description("A target's circuit on this replica: 0 closed, 1 half open, 2 open")
        .tags("route", route, "target", target).strongReference(true).register(registry);
    Gauge.builder("keyward_target_first_byte_seconds", firstByteSeconds,
            DoubleSupplier::getAsDouble)
        .description("A target's time to first byte on this replica, moving average (NaN: not"
            + " measured lately)")
        .tags("route", route, "target", target).strongReference(true).register(registry);
  }

  /** A counter read from a component's own tally at scrape time. */
  public void count(String name, String description, LongSupplier total) {
    FunctionCounter.builder(name, total, LongSupplier::getAsLong)
        .description(description)
        .register(registry);
    held.add(total);
  }

  public void gauge(String name, String description, DoubleSupplier value) {
    Gauge.builder(name, value, DoubleSupplier::getAsDouble)
        .description(description)
        .strongReference(true)
        .register(registry);
  }

  /** Hits, misses, evictions, load failures and size of a Caffeine cache. */
  public void cache(String name, Supplier<CacheStats> stats, LongSupplier size) {
    FunctionCounter.builder(name + "_requests", stats, s -> s.get().hitCount())
        .tag("result", "hit").description("Cache lookups").register(registry);
    FunctionCounter.builder(name + "_requests", stats, s -> s.get().missCount())
        .tag("result", "miss").description("Cache lookups").register(registry);
    FunctionCounter.builder(name + "_evictions", stats, s -> s.get().evictionCount())
        .description("Entries evicted").register(registry);
    FunctionCounter.builder(name + "_load_failures", stats, s -> s.get().loadFailureCount())
        .description("Loads that failed").register(registry);
    held.add(stats);
    gauge(name + "_hit_ratio", "Hits over lookups since start", () -> stats.get().hitRate());
    gauge(name + "_size", "Entries", size::getAsLong);
  }

  /** The Prometheus text exposition of every meter. */
  public String scrape() {
    return registry.scrape();
  }

  private Timer latency(String name, String description, String route) {
    return Timer.builder(name)
        .description(description)
        .tag("route", route)
        .serviceLevelObjectives(LATENCY_SLOS)
        .register(registry);
  }
}
