package dev.keyward.policies;

import java.util.List;

/**
 * Which credential an explicit target ({@code /t/<host>/…}) should use when the agent did not name
 * one: the granted credentials whose allowed domains include the host.
 *
 * @param candidates credential ids, sorted; exactly one means the choice is clear
 */
public record CredentialChoice(List<String> candidates) {

  public CredentialChoice {
    candidates = List.copyOf(candidates);
  }

  public boolean isUnique() {
    return candidates.size() == 1;
  }

  public String only() {
    if (!isUnique()) {
      throw new IllegalStateException("no unique credential: " + candidates);
    }
    return candidates.get(0);
  }
}
