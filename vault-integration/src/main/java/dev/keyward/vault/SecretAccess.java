package dev.keyward.vault;

/**
 * Proof that the caller is allowed to read secret bytes. Obtainable only from {@link
 * InsecureSecretAccess#get()}, a name to grep for: every place that reads a plaintext key shows up.
 */
public final class SecretAccess {

  static final SecretAccess INSTANCE = new SecretAccess();

  private SecretAccess() {}
}
