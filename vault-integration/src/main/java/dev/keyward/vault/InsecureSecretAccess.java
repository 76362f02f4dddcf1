package dev.keyward.vault;

/**
 * The only way to get a {@link SecretAccess}. Used by the inject stage (which must write the key
 * into the upstream request) and by the CLI (which reads a key from stdin to seal it); nowhere else.
 */
public final class InsecureSecretAccess {

  private InsecureSecretAccess() {}

  public static SecretAccess get() {
    return SecretAccess.INSTANCE;
  }
}
