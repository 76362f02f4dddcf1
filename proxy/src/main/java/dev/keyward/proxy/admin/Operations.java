package dev.keyward.proxy.admin;

import dev.keyward.token.Purpose;
import dev.keyward.token.Role;
import dev.keyward.vault.CredentialSpec;
import dev.keyward.vault.Secret;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * Everything an operator can do, with results as the JSON the admin API returns. Implemented on
 * the store itself ({@link LocalOperations}: what the admin API serves, and what the CLI uses on
 * the embedded store) and over the admin API (the CLI with {@code --admin-url}). Results never
 * contain a provider key; the only secrets ever returned are an agent secret at creation and a
 * minted token.
 */
public interface Operations extends AutoCloseable {

  JsonObject createCredential(CredentialSpec spec, Secret secret, String actor)
      throws OperationException;

  JsonObject rotateCredential(String tenant, String id, Secret secret, String actor)
      throws OperationException;

  JsonObject rollbackCredential(String tenant, String id, int version, String actor)
      throws OperationException;

  /** @param tenant empty for every tenant */
  JsonArray listCredentials(Optional<String> tenant) throws OperationException;

  JsonArray credentialHistory(String tenant, String id) throws OperationException;

  JsonObject setCredentialDisabled(String tenant, String id, boolean disabled, String actor)
      throws OperationException;

  JsonObject destroyCredentialVersion(String tenant, String id, int version, String actor)
      throws OperationException;

  /** The result holds the agent's secret, shown once. */
  JsonObject createAgent(String id, String tenant, Set<String> groups, String actor)
      throws OperationException;

  JsonArray listAgents() throws OperationException;

  JsonObject setAgentDisabled(String id, boolean disabled) throws OperationException;

  /** The result holds the token. */
  JsonObject mintToken(String agent, String tenant, Set<String> groups, Optional<Purpose> purpose,
      Duration ttl) throws OperationException;

  /** The result holds the token. */
  JsonObject mintOperatorToken(String name, Role role, Duration ttl) throws OperationException;

  JsonObject revokeToken(String jti) throws OperationException;

  JsonObject rotateSigningKey() throws OperationException;

  JsonObject reloadPolicy() throws OperationException;

  JsonObject checkPolicy(String source, String yaml) throws OperationException;

  JsonArray queryAudit(AuditQuery query) throws OperationException;

  /** Per credential: which agents used it, requests, denials, versions. */
  JsonArray auditReport(Instant since) throws OperationException;

  /**
   * Per budget of the policy in force (or only {@code budget}), its limits and, per subject with
   * counters in the current window, spend and holds against the limit and this minute's requests
   * and tokens. Needs the running server: the counters are in its memory or in Redis.
   */
  JsonObject budgetUsage(Optional<String> budget) throws OperationException;

  @Override
  default void close() {}
}
