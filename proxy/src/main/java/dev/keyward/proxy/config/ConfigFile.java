package dev.keyward.proxy.config;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;
import java.util.Map;

/** The YAML configuration file as written; {@link KeywardConfig} is its checked, resolved form. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record ConfigFile(
    Listen listen,
    String policy,
    String policyReloadInterval,
    Kek kek,
    Store store,
    Vault vault,
    Tokens tokens,
    Upstream upstream,
    Limits limits,
    Audit audit,
    Admin admin,
    CredentialsCache credentialsCache,
    Budgets budgets,
    Pricing pricing,
    ForwardProxy forwardProxy,
    Routing routing) {

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Listen(String host, Integer port) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Kek(String local, Transit transit) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Transit(String mount, String key) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Store(String file, VaultKv vault) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record VaultKv(String mount, String prefix) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Vault(String address, String namespace, String caCert, String timeout, VaultAuth auth,
      Boolean insecure) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record VaultAuth(String method, String tokenFile, String mount, String roleId,
      String secretIdFile, String role, String jwtFile) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Tokens(String issuer, String jwks, String refreshInterval) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Upstream(List<String> trustCa, String connectTimeout, String firstByteTimeout,
      String idleTimeout, Boolean http2, Boolean forwardAgentNetwork, List<String> connectTo) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Limits(String maxHeaderSize, String maxRequestBody, String requestHeaderTimeout,
      String clientIdleTimeout, String maxRequestDuration, Integer maxUpstreamConnections) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record CredentialsCache(String ttl, String staleWindow) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Audit(String file, Boolean stdout, String maxFileSize, String checkpointInterval,
      String onFailure, String instance, String witnessInterval, String publicKey) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Budgets(String store, String dir, String holdLease, BudgetsRedis redis) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record BudgetsRedis(String url, String passwordFile, String timeout, String caCert) {}

  /** USD per million tokens by model, written here or in a file of the same shape. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Pricing(Map<String, Object> models, String file) {}

  /** What the {@code score} strategy knows besides prices: model quality, latency's decay. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Routing(Map<String, Object> quality, String latencyHalfLife) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record ForwardProxy(String listen, String tunnelIdleTimeout, String tunnelMaxLifetime,
      Integer maxTunnels, Integer maxTunnelsPerAgent) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Admin(String host, Integer port, Boolean enabled, String tlsCert, String tlsKey) {}
}
