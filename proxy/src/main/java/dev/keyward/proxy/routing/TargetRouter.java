package dev.keyward.proxy.routing;

import dev.keyward.llm.LlmRequest;
import dev.keyward.llm.PriceTable;
import dev.keyward.llm.budget.WorstCase;
import dev.keyward.llm.routing.BreakerSettings;
import dev.keyward.llm.routing.CircuitBreaker;
import dev.keyward.llm.routing.LatencyAverage;
import dev.keyward.llm.routing.Scoring;
import dev.keyward.llm.routing.WeightedRoundRobin;
import dev.keyward.policies.PolicySet;
import dev.keyward.policies.Route;
import dev.keyward.policies.RouteTarget;
import dev.keyward.proxy.call.Attempt;
import dev.keyward.proxy.call.Call;
import dev.keyward.proxy.config.RoutingConfig;
import dev.keyward.proxy.error.ErrorCode;
import dev.keyward.proxy.error.ProxyException;
import dev.keyward.proxy.metrics.Metrics;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a replica knows about the targets of its routes, and the order it tries them in. Per route
 * and target: a {@link CircuitBreaker} and a {@link LatencyAverage} of the time to first byte;
 * per route: the {@link WeightedRoundRobin} of {@code strategy: weighted}. All in this replica's
 * memory, kept across policy reloads (by route and target name), shared by its event loops. The
 * arithmetic is the {@code llm} module's ({@code dev.keyward.llm.routing}); time is the injected
 * clock's.
 */
public final class TargetRouter {

  /** The target that answered, on every response of a route with targets. */
  public static final String TARGET_HEADER = "X-Keyward-Target";

  /** Failures of the upstream itself: they count against its circuit. */
  private static final Set<String> UPSTREAM_FAILURES = Set.of(
      ErrorCode.UPSTREAM_UNREACHABLE.code(), ErrorCode.UPSTREAM_TLS_ERROR.code(),
      ErrorCode.UPSTREAM_DNS_ERROR.code(), ErrorCode.UPSTREAM_RESET.code(),
      ErrorCode.UPSTREAM_TIMEOUT.code());

  private record Key(String route, String target) {}

  /** One target on this replica. */
  private static final class TargetState {
    final CircuitBreaker breaker = new CircuitBreaker();
    final LatencyAverage latency = new LatencyAverage();
  }

  private final Clock clock;
  private final PriceTable prices;
  private final RoutingConfig config;
  private final Metrics metrics;
  private final ConcurrentHashMap<Key, TargetState> targets = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, WeightedRoundRobin> rotations =
      new ConcurrentHashMap<>();

  public TargetRouter(Clock clock, PriceTable prices, RoutingConfig config, Metrics metrics) {
    this.clock = clock;
    this.prices = prices;
    this.config = config;
    this.metrics = metrics;
  }

  /**
   * The call's planned attempts in the order to try them: the route's ({@code fallback}); the
   * weighted pick first, then the rest in the route's order ({@code weighted}); or best score
   * first ({@code score}). Attempts the policy already refused keep their place (fallback) or go
   * last; they are skipped when their turn comes.
   */
  public List<Attempt> order(Call call) {
    Route route = call.route().orElseThrow();
    List<Attempt> plan = call.plan();
    return switch (route.routing().strategy()) {
      case FALLBACK -> plan;
      case WEIGHTED -> weighted(route, plan);
      case SCORE -> scored(call, route, plan);
    };
  }

  private List<Attempt> weighted(Route route, List<Attempt> plan) {
    int[] weights = new int[plan.size()];
    for (int i = 0; i < weights.length; i++) {
      Attempt attempt = plan.get(i);
      weights[i] = attempt.ending() != null ? 0 : attempt.via().weight();
    }
    int first = rotations.computeIfAbsent(route.name(), name -> new WeightedRoundRobin())
        .next(weights);
    if (first <= 0) {
      return plan;
    }
    List<Attempt> order = new ArrayList<>(plan.size());
    order.add(plan.get(first));
    for (int i = 0; i < plan.size(); i++) {
      if (i != first) {
        order.add(plan.get(i));
      }
    }
    return order;
  }

  private List<Attempt> scored(Call call, Route route, List<Attempt> plan) {
    long now = clock.millis();
    LlmRequest request = call.llmRequest();
    List<Scoring.Inputs> inputs = new ArrayList<>(plan.size());
    for (Attempt attempt : plan) {
      String model = attempt.model();
      OptionalLong cost = OptionalLong.empty();
      if (request != null && model != null) {
        WorstCase worst = WorstCase.of(prices, model, request.inputTokenEstimate(),
            request.maxOutputTokens(), route.llm().maxOutputTokens());
        if (worst.priced()) {
          cost = OptionalLong.of(worst.nanoUsd());
        }
      }
      inputs.add(new Scoring.Inputs(cost, config.quality(model),
          state(route, attempt.via()).latency.millis(now, config.latencyHalfLife())));
    }
    List<Attempt> order = new ArrayList<>(plan.size());
    List<Attempt> refused = new ArrayList<>();
    for (int i : Scoring.order(inputs, route.routing().weights())) {
      Attempt attempt = plan.get(i);
      (attempt.ending() == null ? order : refused).add(attempt);
    }
    order.addAll(refused);
    return order;
  }

  /**
   * Asks the attempt's circuit whether it may go: false means skip it (open, or its one probe is
   * out). Anything it lets through must then be judged once: {@link #answered}, {@link #failed}
   * or {@link #released}.
   */
  public boolean admit(Call call, Attempt attempt) {
    Route route = call.route().orElseThrow();
    long now = clock.millis();
    CircuitBreaker.Permit permit = state(route, attempt.via()).breaker
        .acquire(route.routing().breaker(), now);
    attempt.routing(permit, now);
    return permit != CircuitBreaker.Permit.REFUSED;
  }

  /** The upstream answered with {@code status}; true when that makes the next target be tried. */
  public boolean answered(Call call, Attempt attempt, int status) {
    CircuitBreaker.Result result = CircuitBreaker.judge(status);
    judge(call, attempt, result, result == CircuitBreaker.Result.SUCCESS);
    return result == CircuitBreaker.Result.FAILURE;
  }

  /**
   * The attempt failed before the upstream answered: a failure of the target when the upstream
   * could not be reached or did not answer (a timeout also counts as a measurement: it was at
   * least that slow); anything else (the SSRF guard, say) is not the target's doing.
   */
  public void failed(Call call, Attempt attempt, ProxyException why) {
    String code = why.error().code();
    boolean upstream = why.denial().isEmpty() && UPSTREAM_FAILURES.contains(code);
    judge(call, attempt, upstream ? CircuitBreaker.Result.FAILURE : CircuitBreaker.Result.IGNORED,
        code.equals(ErrorCode.UPSTREAM_TIMEOUT.code()));
  }

  /** The attempt never went upstream (refused on the way): its circuit is not touched. */
  public void released(Call call, Attempt attempt) {
    judge(call, attempt, CircuitBreaker.Result.IGNORED, false);
  }

  /** The upstream broke an answer that had started reaching the agent: one more failure. */
  public void brokeMidStream(Call call, Attempt attempt) {
    Route route = call.route().orElseThrow();
    state(route, attempt.via()).breaker.recordLateFailure(route.routing().breaker(),
        clock.millis());
  }

  private void judge(Call call, Attempt attempt, CircuitBreaker.Result result, boolean measure) {
    if (attempt.permit() == null || attempt.permit() == CircuitBreaker.Permit.REFUSED) {
      return;
    }
    Route route = call.route().orElseThrow();
    TargetState state = state(route, attempt.via());
    long now = clock.millis();
    state.breaker.record(attempt.permit(), result, route.routing().breaker(), now);
    if (measure) {
      state.latency.record(now - attempt.startedAtMillis(), now, config.latencyHalfLife());
    }
  }

  private TargetState state(Route route, RouteTarget target) {
    return targets.computeIfAbsent(new Key(route.name(), target.name()), key -> {
      TargetState state = new TargetState();
      metrics.target(key.route(), key.target(),
          () -> switch (state.breaker.state(clock.millis())) {
            case CLOSED -> 0;
            case HALF_OPEN -> 1;
            case OPEN -> 2;
          },
          () -> state.latency.millis(clock.millis(), config.latencyHalfLife())
              .orElse(Double.NaN) / 1000);
      return state;
    });
  }

  /**
   * Every target of the policy's routes with targets, as this replica sees it: its circuit (with
   * the failures and calls in its window, and until when it is open) and its time to first byte.
   */
  public JsonArray snapshot(PolicySet policy) {
    long now = clock.millis();
    JsonArray out = new JsonArray();
    for (Route route : policy.chainedRoutes()) {
      BreakerSettings settings = route.routing().breaker();
      for (RouteTarget target : route.routing().targets()) {
        TargetState state = targets.get(new Key(route.name(), target.name()));
        CircuitBreaker.Snapshot circuit = state == null
            ? new CircuitBreaker.Snapshot(CircuitBreaker.State.CLOSED, 0, 0, 0)
            : state.breaker.snapshot(settings, now);
        OptionalDouble latency = state == null ? OptionalDouble.empty()
            : state.latency.millis(now, config.latencyHalfLife());
        out.add(new JsonObject()
            .put("route", route.name())
            .put("target", target.name())
            .put("strategy", route.routing().strategy().wireName())
            .put("credential", target.credentialId())
            .put("upstream", target.upstream().toString())
            .put("circuit", circuit.state().wireName())
            .put("failures", circuit.failures())
            .put("calls", circuit.calls())
            .put("open_until", circuit.openUntilMillis() == 0 ? null
                : Instant.ofEpochMilli(circuit.openUntilMillis()).toString())
            .put("first_byte_ms", latency.isPresent() ? latency.getAsDouble() : null));
      }
    }
    return out;
  }
}
