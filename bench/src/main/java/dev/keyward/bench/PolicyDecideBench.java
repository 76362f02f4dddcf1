package dev.keyward.bench;

import dev.keyward.policies.CredentialChoice;
import dev.keyward.policies.Decision;
import dev.keyward.policies.DecisionRequest;
import dev.keyward.policies.PolicyLoader;
import dev.keyward.policies.PolicySet;
import dev.keyward.policies.Target;
import dev.keyward.policies.Targets;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code PolicySet.decide} on a policy with 1,000 credentials and 10,000 grants (10 per
 * credential, over 100 tenants), loaded through the real YAML loader.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PolicyDecideBench {

  static final int CREDENTIALS = 1_000;
  static final int GRANTS = 10_000;
  static final int TENANTS = 100;

  private PolicySet policy;
  private String policyText;
  private DecisionRequest allowed;
  private DecisionRequest denied;
  private DecisionRequest wrongPath;

  /** The benchmark policy as YAML. */
  static String policyYaml() {
    StringBuilder yaml = new StringBuilder("credentials:\n");
    for (int c = 0; c < CREDENTIALS; c++) {
      yaml.append("  - id: cred-").append(c).append('\n')
          .append("    allowed_domains: [\"api-").append(c).append(".example.com\", \"*.svc-")
          .append(c).append(".example.net\"]\n");
    }
    yaml.append("grants:\n");
    for (int g = 0; g < GRANTS; g++) {
      yaml.append("  - name: grant-").append(g).append('\n')
          .append("    tenants: [tenant-").append(g % TENANTS).append("]\n")
          .append("    credentials: [cred-").append(g % CREDENTIALS).append("]\n")
          .append("    methods: [POST]\n")
          .append("    paths: [\"/v1/chat\", \"/v1/embeddings\"]\n");
    }
    return yaml.toString();
  }

  @Setup
  public void setUp() throws Exception {
    policyText = policyYaml();
    policy = PolicyLoader.parse("bench.yaml", policyText);
    // cred-777 is granted by grants 777, 1777, … 9777: tenants 77 (all ten of them).
    Target target = Targets.parseBaseUrl("https://x.svc-777.example.net/v1/chat/completions");
    allowed = new DecisionRequest("agent-1", "tenant-77", Set.of(), "cred-777", target, "POST");
    denied = new DecisionRequest("agent-1", "tenant-78", Set.of(), "cred-777", target, "POST");
    wrongPath = new DecisionRequest("agent-1", "tenant-77", Set.of(), "cred-777",
        Targets.parseBaseUrl("https://x.svc-777.example.net/v2/admin"), "POST");
    if (!policy.decide(allowed).allowed() || policy.decide(denied).allowed()
        || policy.decide(wrongPath).allowed()) {
      throw new IllegalStateException("the benchmark policy does not decide as intended");
    }
  }

  @Benchmark
  public Decision decideAllowed() {
    return policy.decide(allowed);
  }

  @Benchmark
  public Decision decideNoGrant() {
    return policy.decide(denied);
  }

  @Benchmark
  public Decision decidePathNotAllowed() {
    return policy.decide(wrongPath);
  }

  @Benchmark
  public CredentialChoice chooseCredentialForExplicitTarget() {
    return policy.credentialsFor("agent-1", "tenant-77", Set.of(), "x.svc-777.example.net");
  }

  /** Parse and validate the whole document, as a reload does (milliseconds). */
  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  @Warmup(iterations = 3)
  @Measurement(iterations = 5)
  public PolicySet loadWholePolicy() throws Exception {
    return PolicyLoader.parse("bench.yaml", policyText);
  }
}
