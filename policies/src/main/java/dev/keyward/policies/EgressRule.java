package dev.keyward.policies;

import java.util.List;
import java.util.Set;

/**
 * One entry of the policy's {@code egress:} list: hosts the forward proxy tunnels as they are (no
 * credential applies to them: nothing is intercepted, no key is sent), or refuses. A deny rule
 * wins over every allow rule; a host no rule names is refused.
 *
 * @param allow true for {@code allow:}, false for {@code deny:}
 * @param ports the ports an allow rule opens ({@code 443} unless it names some); empty for deny
 * @param allowAddresses non-public address ranges an allowed host may resolve to (the SSRF guard
 *     refuses every other one)
 */
public record EgressRule(boolean allow, DomainPattern pattern, Set<Integer> ports,
    List<AddressRange> allowAddresses) {

  public EgressRule {
    ports = Set.copyOf(ports);
    allowAddresses = List.copyOf(allowAddresses);
  }

  /** How audit records and reasons name the rule: {@code egress allow *.pypi.org}. */
  public String name() {
    return "egress " + (allow ? "allow " : "deny ") + pattern;
  }

  boolean matches(String normalizedHost) {
    return pattern.matches(normalizedHost);
  }
}
