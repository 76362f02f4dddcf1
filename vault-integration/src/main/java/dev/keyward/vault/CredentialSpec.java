package dev.keyward.vault;

import dev.keyward.policies.DomainPattern;
import dev.keyward.policies.Names;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything about a credential except its secret and its history: what {@code credential put}
 * takes. Validated on construction.
 *
 * @param allowedDomains where the secret may be sent, as domain patterns (e.g. {@code
 *     *.openrouter.ai}); enforced at injection in addition to the policy
 * @param models allowed model names; empty means any
 */
public record CredentialSpec(String tenant, String id, String provider, Injection injection,
    List<String> allowedDomains, List<String> models, Map<String, String> labels) {

  public CredentialSpec {
    Names.require(tenant, "tenant");
    Names.require(id, "credential");
    Names.require(provider, "provider");
    Objects.requireNonNull(injection, "injection");
    allowedDomains = List.copyOf(allowedDomains);
    if (allowedDomains.isEmpty()) {
      throw new IllegalArgumentException("a credential needs at least one allowed domain");
    }
    allowedDomains.forEach(DomainPattern::parse);
    models = List.copyOf(models);
    labels = Map.copyOf(labels);
  }
}
