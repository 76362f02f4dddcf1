package dev.keyward.proxy.admin;

import dev.keyward.policies.Budget;
import dev.keyward.policies.InvalidPolicyException;
import dev.keyward.policies.Names;
import dev.keyward.policies.PolicyLoader;
import dev.keyward.policies.PolicyProblem;
import dev.keyward.policies.PolicySet;
import dev.keyward.proxy.PolicyReloader;
import dev.keyward.proxy.audit.AuditFiles;
import dev.keyward.proxy.budget.BudgetUsage;
import dev.keyward.proxy.config.KeywardConfig;
import dev.keyward.proxy.storage.Storage;
import dev.keyward.token.Agent;
import dev.keyward.token.AgentCredentials;
import dev.keyward.token.AgentExistsException;
import dev.keyward.token.AgentRegistry;
import dev.keyward.token.IssuedOperatorToken;
import dev.keyward.token.IssuedToken;
import dev.keyward.token.Purpose;
import dev.keyward.token.RevocationStore;
import dev.keyward.token.Role;
import dev.keyward.token.SigningKeyStore;
import dev.keyward.token.SigningKeys;
import dev.keyward.token.TokenIssuer;
import dev.keyward.token.TokenRequest;
import dev.keyward.token.Versioned;
import dev.keyward.vault.CredentialMetadata;
import dev.keyward.vault.CredentialSpec;
import dev.keyward.vault.CredentialStore;
import dev.keyward.vault.CredentialStoreException;
import dev.keyward.vault.KvException;
import dev.keyward.vault.Secret;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The operations on the installation's own store: what the admin API serves, and what the CLI
 * uses directly on the embedded store. Blocking: call from worker threads.
 */
public final class LocalOperations implements Operations {

  /** The longest {@code keyward usage} waits for the budget store. */
  static final Duration USAGE_TIMEOUT = Duration.ofSeconds(20);

  private final KeywardConfig config;
  private final Storage storage;
  private final CredentialStore credentials;
  private final Optional<PolicyReloader> reloader;
  private final AppliedHere appliedHere;
  private final Optional<RunningBudgets> budgets;
  private final Clock clock;

  /**
   * @param reloader the running server's policy, or empty in the CLI (reload then needs the server)
   * @param appliedHere what the running server applies at once after a change, or {@link
   *     AppliedHere#NOTHING} in the CLI
   * @param budgets the running server's budgets, or empty in the CLI (usage then needs the server)
   */
  public LocalOperations(KeywardConfig config, Storage storage, Optional<PolicyReloader> reloader,
      AppliedHere appliedHere, Optional<RunningBudgets> budgets, Clock clock) {
    this.config = config;
    this.storage = storage;
    this.credentials = storage.credentials(clock);
    this.reloader = reloader;
    this.appliedHere = appliedHere;
    this.budgets = budgets;
    this.clock = clock;
  }

  @Override
  public JsonObject createCredential(CredentialSpec spec, Secret secret, String actor)
      throws OperationException {
    JsonObject created =
        CredentialJson.toJson(store(() -> credentials.create(spec, secret, actor)));
    appliedHere.credentialChanged(spec.tenant(), spec.id());
    return created;
  }

  @Override
  public JsonObject rotateCredential(String tenant, String id, Secret secret, String actor)
      throws OperationException {
    JsonObject rotated =
        CredentialJson.toJson(store(() -> credentials.rotate(tenant, id, secret, actor)));
    appliedHere.credentialChanged(tenant, id);
    return rotated;
  }

  @Override
  public JsonObject rollbackCredential(String tenant, String id, int version, String actor)
      throws OperationException {
    JsonObject rolledBack =
        CredentialJson.toJson(store(() -> credentials.rollback(tenant, id, version, actor)));
    appliedHere.credentialChanged(tenant, id);
    return rolledBack;
  }

  @Override
  public JsonArray listCredentials(Optional<String> tenant) throws OperationException {
    List<CredentialMetadata> all = store(() -> {
      List<CredentialMetadata> out = new ArrayList<>();
      for (String t : tenant.isPresent() ? List.of(tenant.get()) : credentials.tenants()) {
        out.addAll(credentials.list(t));
      }
      return out;
    });
    JsonArray array = new JsonArray();
    all.forEach(m -> array.add(CredentialJson.toJson(m)));
    return array;
  }

  @Override
  public JsonArray credentialHistory(String tenant, String id) throws OperationException {
    JsonArray array = new JsonArray();
    store(() -> credentials.history(tenant, id)).forEach(m -> array.add(CredentialJson.toJson(m)));
    return array;
  }

  @Override
  public JsonObject setCredentialDisabled(String tenant, String id, boolean disabled, String actor)
      throws OperationException {
    store(() -> {
      credentials.setDisabled(tenant, id, disabled, actor);
      return null;
    });
    appliedHere.credentialChanged(tenant, id);
    return new JsonObject().put("tenant", tenant).put("id", id).put("disabled", disabled);
  }

  @Override
  public JsonObject destroyCredentialVersion(String tenant, String id, int version, String actor)
      throws OperationException {
    store(() -> {
      credentials.destroyVersion(tenant, id, version, actor);
      return null;
    });
    appliedHere.credentialChanged(tenant, id);
    return new JsonObject().put("tenant", tenant).put("id", id).put("destroyed_version", version);
  }

  @Override
  public JsonObject createAgent(String id, String tenant, Set<String> groups, String actor)
      throws OperationException {
    try {
      AgentCredentials created = new AgentRegistry(storage.kv())
          .create(id, tenant, groups, actor, clock.instant());
      return agentJson(created.agent(), false).put("secret", created.secret());
    } catch (IllegalArgumentException e) {
      throw OperationException.invalid(e.getMessage());
    } catch (AgentExistsException e) {
      throw new OperationException(OperationError.CONFLICT, e.getMessage());
    } catch (KvException e) {
      throw OperationException.of(e);
    }
  }

  @Override
  public JsonArray listAgents() throws OperationException {
    try {
      Set<String> disabled = revocations().load().value().disabledAgents();
      JsonArray all = new JsonArray();
      for (Agent agent : new AgentRegistry(storage.kv()).list()) {
        all.add(agentJson(agent, disabled.contains(agent.id())));
      }
      return all;
    } catch (KvException e) {
      throw OperationException.of(e);
    }
  }

  @Override
  public JsonObject setAgentDisabled(String id, boolean disabled) throws OperationException {
    try {
      if (new AgentRegistry(storage.kv()).find(id).isEmpty()) {
        throw new OperationException(OperationError.NOT_FOUND, "no agent '" + id + "'");
      }
      revocations().setAgentDisabled(id, disabled, clock.instant());
      appliedHere.tokenStateChanged();
      return new JsonObject().put("id", id).put("disabled", disabled);
    } catch (KvException e) {
      throw OperationException.of(e);
    }
  }

  @Override
  public JsonObject mintToken(String agent, String tenant, Set<String> groups,
      Optional<Purpose> purpose, Duration ttl) throws OperationException {
    try {
      IssuedToken issued = issuer().issue(new TokenRequest(agent, tenant, groups, purpose, ttl));
      return new JsonObject()
          .put("token", issued.token())
          .put("agent", issued.claims().agent())
          .put("tenant", issued.claims().tenant())
          .put("jti", issued.claims().jti())
          .put("expires_at", issued.claims().expiresAt().toString());
    } catch (IllegalArgumentException e) {
      throw OperationException.invalid(e.getMessage());
    } catch (GeneralSecurityException e) {
      throw new OperationException(OperationError.SIGNING_FAILED, "cannot sign the token");
    }
  }

  @Override
  public JsonObject mintOperatorToken(String name, Role role, Duration ttl)
      throws OperationException {
    try {
      IssuedOperatorToken issued = issuer().issueOperator(name, role, ttl);
      return new JsonObject()
          .put("token", issued.token())
          .put("operator", issued.claims().name())
          .put("role", issued.claims().role().claim())
          .put("jti", issued.claims().jti())
          .put("expires_at", issued.claims().expiresAt().toString());
    } catch (IllegalArgumentException e) {
      throw OperationException.invalid(e.getMessage());
    } catch (GeneralSecurityException e) {
      throw new OperationException(OperationError.SIGNING_FAILED, "cannot sign the token");
    }
  }

  @Override
  public JsonObject revokeToken(String jti) throws OperationException {
    try {
      revocations().revokeToken(jti, clock.instant());
      appliedHere.tokenStateChanged();
      return new JsonObject().put("jti", jti).put("revoked", true);
    } catch (IllegalArgumentException e) {
      throw OperationException.invalid(e.getMessage());
    } catch (KvException e) {
      throw OperationException.of(e);
    }
  }

  @Override
  public JsonObject rotateSigningKey() throws OperationException {
    try {
      SigningKeyStore keys = signingKeys();
      boolean first = keys.load().isEmpty();
      SigningKeys now = first ? keys.initialize(clock.instant()) : keys.rotate(clock.instant());
      appliedHere.tokenStateChanged();
      return new JsonObject()
          .put("primary_kid", now.primaryKid())
          .put("verifying_keys", now.size())
          .put("created_first_key", first);
    } catch (KvException e) {
      throw OperationException.of(e);
    } catch (GeneralSecurityException e) {
      throw new OperationException(OperationError.SIGNING_FAILED,
          "cannot read or write the signing keys: " + e.getMessage());
    }
  }

  @Override
  public JsonObject reloadPolicy() throws OperationException {
    PolicyReloader running = reloader.orElseThrow(() -> new OperationException(
        OperationError.NOT_RUNNING, "a policy reload needs the running server: use --admin-url"));
    PolicyReloader.Outcome outcome = running.reload();
    return new JsonObject()
        .put("ok", !outcome.failed())
        .put("changed", outcome.changed())
        .put("version", outcome.version())
        .put("problems", problems(outcome.problems()));
  }

  @Override
  public JsonObject budgetUsage(Optional<String> name) throws OperationException {
    RunningBudgets running = budgets.orElseThrow(() -> new OperationException(
        OperationError.NOT_RUNNING, "budget usage is read from the running Keyward (its"
            + " counters are in its memory or in Redis): use --admin-url"));
    if (name.isPresent() && !Names.isValid(name.get())) {
      throw OperationException.invalid("'budget' must be a budget's name: " + Names.RULE);
    }
    List<Budget> all = running.policy().get().budgets();
    List<Budget> chosen = name.isEmpty() ? all
        : all.stream().filter(b -> b.name().equals(name.get())).toList();
    if (chosen.isEmpty() && name.isPresent()) {
      throw new OperationException(OperationError.NOT_FOUND, "the policy has no budget named '"
          + name.get() + "'" + (all.isEmpty() ? "; it has no budgets" : "; it has "
          + String.join(", ", all.stream().map(Budget::name).toList())));
    }
    Instant at = clock.instant();
    try {
      List<BudgetUsage> rows = running.gate().usage(chosen).toCompletionStage()
          .toCompletableFuture().get(USAGE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      return BudgetUsageJson.of(at, chosen, rows);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OperationException(OperationError.BUDGET_UNAVAILABLE, "interrupted");
    } catch (ExecutionException | TimeoutException e) {
      throw new OperationException(OperationError.BUDGET_UNAVAILABLE, "the budget store cannot"
          + " be read: " + (e instanceof TimeoutException ? "no answer in " + USAGE_TIMEOUT
              .toSeconds() + " s" : e.getCause().getMessage()));
    }
  }

  @Override
  public JsonObject checkPolicy(String source, String yaml) {
    return policyCheck(source, yaml);
  }

  /** Validates a policy document: {@code ok}, its version and counts, or every problem. */
  public static JsonObject policyCheck(String source, String yaml) {
    try {
      PolicySet policy = PolicyLoader.parse(source, yaml);
      return new JsonObject()
          .put("ok", true)
          .put("version", policy.version())
          .put("credentials", policy.credentialCount())
          .put("routes", policy.routeCount())
          .put("grants", policy.grantCount())
          .put("problems", new JsonArray());
    } catch (InvalidPolicyException e) {
      return new JsonObject().put("ok", false).put("problems", problems(e.problems()));
    }
  }

  @Override
  public JsonArray queryAudit(AuditQuery query) throws OperationException {
    Deque<JsonObject> latest = new ArrayDeque<>();
    forEachAuditEntry(query.since(), entry -> {
      if (query.matches(entry)) {
        latest.addLast(entry);
        if (latest.size() > query.limit()) {
          latest.removeFirst();
        }
      }
    });
    return new JsonArray(new ArrayList<>(latest));
  }

  @Override
  public JsonArray auditReport(Instant since) throws OperationException {
    AuditReport report = new AuditReport();
    forEachAuditEntry(since, report::accept);
    return report.toJson();
  }

  /**
   * Calls {@code each} with every audit entry (request, attempt and admin records) since {@code
   * since}, oldest first, from this instance's files.
   */
  public void forEachAuditEntry(Instant since, java.util.function.Consumer<JsonObject> each)
      throws OperationException {
    Path file = config.audit().file().orElseThrow(() -> new OperationException(
        OperationError.NO_AUDIT_FILE, "this installation audits to stdout only (audit.file is not set):"
            + " query the log collector instead"));
    try {
      AuditFiles.forEachEntry(AuditFiles.inOrder(file), since, each);
    } catch (IOException e) {
      throw new OperationException(OperationError.AUDIT_UNREADABLE, "cannot read the audit log: "
          + e.getMessage());
    }
  }

  private TokenIssuer issuer() throws OperationException {
    try {
      Optional<Versioned<SigningKeys>> keys = signingKeys().load();
      if (keys.isEmpty()) {
        throw new OperationException(OperationError.NO_SIGNING_KEYS, "no signing keys yet; run `keyward"
            + " dev` once or `keyward token rotate-signing-key`");
      }
      return new TokenIssuer(keys.get().value().prune(clock.instant()), config.issuer(), clock);
    } catch (KvException e) {
      throw OperationException.of(e);
    } catch (GeneralSecurityException e) {
      throw new OperationException(OperationError.SIGNING_FAILED,
          "cannot read the signing keys: " + e.getMessage());
    }
  }

  private SigningKeyStore signingKeys() throws OperationException {
    if (config.jwks().isPresent()) {
      throw new OperationException(OperationError.VERIFY_ONLY, "this installation verifies tokens only"
          + " (tokens.jwks is set); mint and rotate where the signing keys live");
    }
    return new SigningKeyStore(storage.kv(), storage.kek());
  }

  private RevocationStore revocations() {
    return new RevocationStore(storage.kv());
  }

  private static JsonObject agentJson(Agent agent, boolean disabled) {
    return new JsonObject()
        .put("id", agent.id())
        .put("tenant", agent.tenant())
        .put("groups", new JsonArray(agent.groups().stream().sorted().toList()))
        .put("created_by", agent.createdBy())
        .put("created_at", agent.createdAt().toString())
        .put("disabled", disabled);
  }

  private static JsonArray problems(List<PolicyProblem> problems) {
    JsonArray array = new JsonArray();
    for (PolicyProblem p : problems) {
      array.add(new JsonObject()
          .put("source", p.source())
          .put("line", p.line())
          .put("column", p.column())
          .put("message", p.message()));
    }
    return array;
  }

  /** A credential-store call. */
  private interface StoreCall<T> {
    T run() throws CredentialStoreException;
  }

  private static <T> T store(StoreCall<T> call) throws OperationException {
    try {
      return call.run();
    } catch (CredentialStoreException e) {
      throw OperationException.of(e);
    } catch (IllegalArgumentException e) {
      throw OperationException.invalid(e.getMessage());
    }
  }
}
