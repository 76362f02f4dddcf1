package dev.keyward.token;

/** An agent id that is already registered. */
public final class AgentExistsException extends Exception {

  public AgentExistsException(String id) {
    super("agent '" + id + "' already exists");
  }
}
