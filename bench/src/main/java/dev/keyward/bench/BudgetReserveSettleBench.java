package dev.keyward.bench;

import dev.keyward.llm.Cost;
import dev.keyward.llm.budget.Charge;
import dev.keyward.llm.budget.WorstCase;
import dev.keyward.policies.ApplicableBudget;
import dev.keyward.policies.PolicyLoader;
import dev.keyward.policies.PolicySet;
import dev.keyward.proxy.budget.Admission;
import dev.keyward.proxy.budget.BudgetCounters;
import dev.keyward.proxy.budget.EmbeddedBudgetStore;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One budget check as the request path makes it on the embedded store: reserve a request's worst
 * case, then settle it, each waited for, against the budget bench/load.sh uses (a money limit
 * and a request rate, never reached). With one thread, and with several callers at once (the
 * event loops of a busy proxy). Run with {@code -prof gc} for the allocation per check.
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class BudgetReserveSettleBench {

  /** The budget of bench/load.sh's budget scenario, so the two measure the same check. */
  private static final String POLICY = """
      credentials:
        - id: bench-budget
          allowed_domains: ["127.0.0.1"]
      budgets:
        - name: bench-budget
          scope: tenant_credential
          credentials: [bench-budget]
          usd: 1000000
          period: monthly
          requests_per_minute: 100000000
      """;

  private Vertx vertx;
  private Path dir;
  private EmbeddedBudgetStore store;
  private List<ApplicableBudget> budgets;
  private final WorstCase demand = new WorstCase("m", 100, 100, Cost.ofNanoUsd(1_000));
  private final Charge charge = new Charge(700, 150);

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    PolicySet policy = PolicyLoader.parse("bench.yaml", POLICY);
    budgets = policy.budgetsFor("agent-1", "tenant-1", Set.of(), "bench-budget");
    if (budgets.isEmpty()) {
      throw new IllegalStateException("the benchmark budget does not apply");
    }
    vertx = Vertx.vertx();
    dir = Files.createTempDirectory("keyward-budget-bench");
    store = EmbeddedBudgetStore.open(dir, Clock.systemUTC(), Duration.ofMinutes(65),
        new BudgetCounters());
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    store.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Benchmark
  @Threads(1)
  public Object reserveThenSettle1Thread() throws Exception {
    return check();
  }

  @Benchmark
  @Threads(4)
  public Object reserveThenSettle4Threads() throws Exception {
    return check();
  }

  private Object check() throws Exception {
    return store.reserve(budgets, demand).compose(admission -> store.settle(
        ((Admission.Admitted) admission).reservation(), charge))
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
