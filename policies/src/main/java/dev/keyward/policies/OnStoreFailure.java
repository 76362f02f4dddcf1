package dev.keyward.policies;

/**
 * What a budget does when its counters cannot be reached: refuse ({@code 503 budget_unavailable},
 * the default) or let requests through uncounted, which a budget must ask for by name.
 */
public enum OnStoreFailure {
  DENY("deny"),
  ALLOW("allow");

  private final String wireName;

  OnStoreFailure(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }
}
