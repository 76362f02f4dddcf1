package dev.keyward.proxy.admin;

/**
 * What the running replica that took an operator's change applies at once, before the call is
 * answered: the change is in the shared store already, and other replicas pick it up within
 * their refresh interval, but the one that made it must not serve the old state meanwhile.
 */
public interface AppliedHere {

  /** The CLI working on the store directly: no server runs in this process. */
  AppliedHere NOTHING = new AppliedHere() {
    @Override
    public void tokenStateChanged() {}

    @Override
    public void credentialChanged(String tenant, String id) {}
  };

  /**
   * Revocations, disabled agents or signing keys changed: re-read them now.
   *
   * @throws OperationException when they cannot be re-read (the change is stored, but this
   *     replica would serve the old state until its next refresh)
   */
  void tokenStateChanged() throws OperationException;

  /** A credential changed: drop this replica's cached copy so the next request reads it. */
  void credentialChanged(String tenant, String id);
}
