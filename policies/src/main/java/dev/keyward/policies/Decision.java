package dev.keyward.policies;

import java.util.Objects;

/**
 * The policy's answer for one request: allow, deny, or (report mode) allow but record that an
 * enforced rule would have denied. Every decision carries a stable code and a human reason, so the
 * audit record and the error body are just the decision printed. Nothing else re-decides.
 *
 * @param effect what to do
 * @param code {@code allowed}, or the {@link DenyCode} of the rule that denied (or would have)
 * @param reason one sentence for humans; never contains a secret
 * @param credentialId the credential the decision is about
 * @param rule the name of the grant that allowed, or of the rule that denied; may be empty
 */
public record Decision(Effect effect, String code, String reason, String credentialId, String rule) {

  public static final String ALLOWED = "allowed";

  /** What the proxy does with the request. */
  public enum Effect {
    ALLOW,
    DENY,
    /** Allowed because the denying rule is in report mode; audited as {@code would_deny}. */
    WOULD_DENY
  }

  public Decision {
    Objects.requireNonNull(effect, "effect");
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(credentialId, "credentialId");
    Objects.requireNonNull(rule, "rule");
  }

  static Decision allow(String credentialId, String rule, String reason) {
    return new Decision(Effect.ALLOW, ALLOWED, reason, credentialId, rule);
  }

  /** A denial; in report mode only a {@link DenyCode#reportModeMayRelax() relaxable} one is let through. */
  static Decision deny(DenyCode code, Mode mode, String credentialId, String rule, String reason) {
    Effect effect = mode == Mode.REPORT && code.reportModeMayRelax() ? Effect.WOULD_DENY
        : Effect.DENY;
    return new Decision(effect, code.code(), reason, credentialId, rule);
  }

  /**
   * A budget's refusal: the budgets are part of the policy, so their refusals are decisions too,
   * audited as {@code denied} with the budget's name as the rule.
   *
   * @param code one of the budgets' codes ({@link DenyCode#byBudget()})
   * @param budget the budget that refused (or, for several, the ones that did, comma-separated)
   */
  public static Decision budgetDenial(DenyCode code, String credentialId, String budget,
      String reason) {
    if (!code.byBudget()) {
      throw new IllegalArgumentException(code + " is not a budget's refusal");
    }
    return new Decision(Effect.DENY, code.code(), reason, credentialId, budget);
  }

  /** The status the agent gets for this denial: {@code 403}, or a budget's {@code 429}/{@code 503}. */
  public int status() {
    return DenyCode.of(code).map(DenyCode::status).orElse(403);
  }

  /** What the agent is told: the reason, unless the code keeps its detail for the audit. */
  public String messageForAgent() {
    return DenyCode.of(code).flatMap(DenyCode::agentMessage).orElse(reason);
  }

  /** True unless the request must be refused. */
  public boolean allowed() {
    return effect != Effect.DENY;
  }
}
