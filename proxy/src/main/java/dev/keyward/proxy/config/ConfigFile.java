package dev.keyward.proxy.config;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/** The YAML configuration file as written; {@link KeywardConfig} is its checked, resolved form. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record ConfigFile(
    Listen listen,
    String policy,
    String policyReloadInterval,
    Kek kek,
    Store store,
    Tokens tokens,
    Upstream upstream,
    CredentialsCache credentialsCache) {

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Listen(String host, Integer port) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Kek(String local) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Store(String file) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Tokens(String issuer, String jwks, String refreshInterval) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Upstream(List<String> trustCa, String connectTimeout, String idleTimeout,
      Boolean forwardAgentNetwork, List<String> connectTo) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record CredentialsCache(String ttl, String staleWindow) {}
}
