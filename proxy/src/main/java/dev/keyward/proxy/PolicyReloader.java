package dev.keyward.proxy;

import dev.keyward.policies.InvalidPolicyException;
import dev.keyward.policies.PolicyLoader;
import dev.keyward.policies.PolicyProblem;
import dev.keyward.policies.PolicySet;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads the policy file when it changes (polled, which also works for Kubernetes ConfigMap
 * mounts that swap symlinks) or when asked. A valid new policy swaps in atomically; an invalid one
 * leaves the current policy in force, logs every problem and counts a failure.
 */
public final class PolicyReloader {

  private static final Logger LOG = LoggerFactory.getLogger(PolicyReloader.class);

  /** What a reload did. */
  public record Outcome(boolean changed, String version, List<PolicyProblem> problems) {

    public boolean failed() {
      return !problems.isEmpty();
    }
  }

  private final Path file;
  private final PolicyHolder holder;
  private final AtomicLong failures = new AtomicLong();
  private String loadedText;

  public PolicyReloader(Path file, PolicyHolder holder, String loadedText) {
    this.file = file;
    this.holder = holder;
    this.loadedText = loadedText;
  }

  /** Re-reads the file; swaps the policy in when it changed and is valid. */
  public synchronized Outcome reload() {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      failures.incrementAndGet();
      LOG.warn("policy reload failed: cannot read {}: {}; keeping policy {}", file, e.getMessage(),
          holder.current().version());
      return new Outcome(false, holder.current().version(),
          List.of(new PolicyProblem(file.toString(), 0, 0, "cannot read: " + e.getMessage())));
    }
    if (text.equals(loadedText)) {
      return new Outcome(false, holder.current().version(), List.of());
    }
    try {
      PolicySet next = PolicyLoader.parse(file.toString(), text);
      String previous = holder.current().version();
      holder.replace(next);
      loadedText = text;
      LOG.info("policy reloaded: {} -> {} ({} credentials, {} routes, {} grants)", previous,
          next.version(), next.credentialCount(), next.routeCount(), next.grantCount());
      return new Outcome(true, next.version(), List.of());
    } catch (InvalidPolicyException e) {
      failures.incrementAndGet();
      loadedText = text; // report a broken file once, not on every poll
      LOG.warn("policy reload failed; keeping policy {}:", holder.current().version());
      e.problems().forEach(problem -> LOG.warn("  {}", problem));
      return new Outcome(false, holder.current().version(), e.problems());
    }
  }

  /** Failed reloads since start, for the {@code keyward_policy_reload_failures_total} metric. */
  public long failures() {
    return failures.get();
  }
}
