package dev.keyward.policies;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the forward proxy does with a connection an agent asks for ({@code CONNECT host:port}, or a
 * plain-HTTP request in absolute form): intercept it, because credentials granted to the agent
 * apply to the host; tunnel it untouched, because an egress rule allows the host; or refuse it.
 *
 * @param decision the allowing or refusing decision, audited as any other
 * @param credentials for {@link Kind#INTERCEPT}: the granted credentials that may be sent to the
 *     host, sorted; empty otherwise
 * @param egress for {@link Kind#TUNNEL}: the rule that allows the host
 */
public record ForwardPlan(Kind kind, Decision decision, List<String> credentials,
    Optional<EgressRule> egress) {

  /** The three things the forward proxy can do with a connection. */
  public enum Kind {
    /** Terminate TLS, read each request, swap placeholders, forward with the key. */
    INTERCEPT,
    /** Pass the bytes through untouched; no key, no interception. */
    TUNNEL,
    /** Refuse. */
    REFUSE
  }

  public ForwardPlan {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(decision, "decision");
    credentials = List.copyOf(credentials);
    Objects.requireNonNull(egress, "egress");
  }
}
