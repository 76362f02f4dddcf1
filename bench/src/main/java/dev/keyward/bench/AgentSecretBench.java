package dev.keyward.bench;

import dev.keyward.token.Agent;
import dev.keyward.token.AgentRegistry;
import java.time.Instant;
import java.util.Optional;
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
 * Checking an agent secret must take the same time however much of it is right, and whether the
 * agent exists: compare the four cases; they should agree within the error.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class AgentSecretBench {

  private AgentRegistry agents;
  private String right;
  private String wrongFirstChar;
  private String wrongLastChar;

  @Setup
  public void setUp() throws Exception {
    agents = new AgentRegistry(new MemoryKv());
    right = agents.create("agent-1", "acme", Set.of(), "bench", Instant.now()).secret();
    int first = AgentRegistry.SECRET_PREFIX.length();
    wrongFirstChar = right.substring(0, first) + flip(right.charAt(first)) + right.substring(first + 1);
    wrongLastChar = right.substring(0, right.length() - 1) + flip(right.charAt(right.length() - 1));
  }

  private static char flip(char c) {
    return c == 'A' ? 'B' : 'A';
  }

  @Benchmark
  public Optional<Agent> rightSecret() throws Exception {
    return agents.authenticate("agent-1", right);
  }

  @Benchmark
  public Optional<Agent> wrongInTheFirstCharacter() throws Exception {
    return agents.authenticate("agent-1", wrongFirstChar);
  }

  @Benchmark
  public Optional<Agent> wrongInTheLastCharacter() throws Exception {
    return agents.authenticate("agent-1", wrongLastChar);
  }

  @Benchmark
  public Optional<Agent> unknownAgent() throws Exception {
    return agents.authenticate("agent-2", right);
  }
}
