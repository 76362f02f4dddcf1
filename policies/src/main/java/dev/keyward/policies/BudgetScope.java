package dev.keyward.policies;

/**
 * What a budget counts for: each subject of its scope has its own counters. A credential's scope
 * spans every tenant that stores a key under that credential id; {@code tenant_credential} is one
 * tenant's use of one credential.
 */
public enum BudgetScope {
  TENANT("tenant"),
  AGENT("agent"),
  CREDENTIAL("credential"),
  TENANT_CREDENTIAL("tenant_credential");

  private final String wireName;

  BudgetScope(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  /** The scope written in a policy, or null when there is none of that name. */
  static BudgetScope parse(String text) {
    for (BudgetScope scope : values()) {
      if (scope.wireName.equals(text)) {
        return scope;
      }
    }
    return null;
  }

  /**
   * The subject key a request counts under: {@code tenant:acme}, {@code agent:acme/agent-7},
   * {@code credential:openrouter}, {@code tenant_credential:acme/openrouter}. Agent ids are unique
   * within a tenant only, so the tenant is part of an agent's key. Every part is a valid {@link
   * Names name}, so the key is safe in storage keys and file names.
   */
  public String subject(String agent, String tenant, String credentialId) {
    return switch (this) {
      case TENANT -> wireName + ":" + Names.require(tenant, "tenant");
      case AGENT -> wireName + ":" + Names.require(tenant, "tenant") + "/"
          + Names.require(agent, "agent");
      case CREDENTIAL -> wireName + ":" + Names.require(credentialId, "credential");
      case TENANT_CREDENTIAL -> wireName + ":" + Names.require(tenant, "tenant") + "/"
          + Names.require(credentialId, "credential");
    };
  }
}
