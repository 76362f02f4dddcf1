package dev.keyward.policies;

/**
 * How a rule acts on a request it would deny. {@code REPORT} lets the request through but the
 * decision (and so the audit record) says {@code would_deny}, so a new policy can be rolled out
 * and watched before it is enforced.
 */
public enum Mode {
  ENFORCE,
  REPORT
}
