package dev.keyward.policies;

import java.util.regex.Pattern;

/**
 * The one rule for identifiers (agents, tenants, groups, credentials, routes): they appear in URL
 * paths, Vault paths, file names and audit records, so they are restricted to a safe alphabet.
 */
public final class Names {

  /** Lower-case letters, digits, '.', '_' and '-'; starts with a letter or digit; 1 to 64 long. */
  public static final String RULE = "1-64 characters of a-z, 0-9, '.', '_', '-', starting with a"
      + " letter or digit";

  private static final Pattern VALID = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

  private Names() {}

  public static boolean isValid(String name) {
    return name != null && VALID.matcher(name).matches();
  }

  /**
   * Returns {@code name} when valid.
   *
   * @throws IllegalArgumentException naming the kind of identifier and the rule
   */
  public static String require(String name, String what) {
    if (!isValid(name)) {
      throw new IllegalArgumentException("invalid " + what + " name: use " + RULE);
    }
    return name;
  }
}
