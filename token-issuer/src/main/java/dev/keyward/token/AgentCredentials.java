package dev.keyward.token;

/**
 * A new agent and its secret, shown once at creation and never stored (only its salted hash is).
 * {@link #toString()} never shows the secret.
 */
public record AgentCredentials(Agent agent, String secret) {

  @Override
  public String toString() {
    return "AgentCredentials[agent=" + agent + ", secret=****]";
  }
}
