package dev.keyward.policies;

import java.util.List;
import java.util.Set;

/**
 * Where one credential may be sent: allowed domains and ports, whether plain http is allowed, which
 * non-public addresses are exempt from the SSRF guard, and an optional model allowlist.
 *
 * @param models allowed model names; empty means any model
 */
public record CredentialRule(
    String id,
    List<DomainPattern> allowedDomains,
    Set<Integer> allowedPorts,
    boolean allowInsecureHttp,
    List<AddressRange> allowAddresses,
    Set<String> models,
    Mode mode) {

  /** Port allowed when a rule names none. */
  public static final int DEFAULT_PORT = 443;

  public CredentialRule {
    allowedDomains = List.copyOf(allowedDomains);
    allowedPorts = Set.copyOf(allowedPorts);
    allowAddresses = List.copyOf(allowAddresses);
    models = Set.copyOf(models);
  }

  public boolean allowsHost(String normalizedHost) {
    for (DomainPattern pattern : allowedDomains) {
      if (pattern.matches(normalizedHost)) {
        return true;
      }
    }
    return false;
  }
}
