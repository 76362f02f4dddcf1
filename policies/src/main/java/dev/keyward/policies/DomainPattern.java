package dev.keyward.policies;

import java.util.Objects;

/**
 * One allowed-domain entry: an exact host ({@code api.anthropic.com}) or a leading-label wildcard
 * ({@code *.openrouter.ai}), which matches any subdomain at any depth but never the apex itself.
 *
 * <p>Patterns are validated when the policy loads; a pattern that would be ambiguous or too broad is
 * refused with a message that says the fix, so bad configuration never reaches the hot path.
 */
public final class DomainPattern {

  private static final String WILDCARD_PREFIX = "*.";

  private final String text;
  private final boolean wildcard;
  /** The exact host, or for a wildcard the suffix including its leading dot. */
  private final String match;

  private DomainPattern(String text, boolean wildcard, String match) {
    this.text = text;
    this.wildcard = wildcard;
    this.match = match;
  }

  /**
   * Parses and validates a pattern.
   *
   * @throws IllegalArgumentException whose message says what is wrong and what to write instead
   */
  public static DomainPattern parse(String text) {
    Objects.requireNonNull(text, "text");
    if (text.isBlank()) {
      throw new IllegalArgumentException("empty domain pattern");
    }
    if (text.contains("://") || text.contains("/") || text.contains("@")
        || (text.contains(":") && !text.startsWith("["))) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a host name; write the host only (ports go in allowed_ports)");
    }
    if (text.equals("*")) {
      throw new IllegalArgumentException(
          "'*' would allow every host; list the domains the credential may be sent to");
    }
    boolean wildcard = text.startsWith(WILDCARD_PREFIX);
    String host = wildcard ? text.substring(WILDCARD_PREFIX.length()) : text;
    if (host.contains("*")) {
      throw new IllegalArgumentException("'" + text + "': a wildcard is only allowed as a leading"
          + " '*.' label, e.g. '*.example.com'");
    }
    String normalized;
    try {
      normalized = Hosts.normalize(host);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + text + "': " + e.getMessage());
    }
    String expected = wildcard ? WILDCARD_PREFIX + normalized : normalized;
    if (!normalized.equals(host)) {
      throw new IllegalArgumentException(
          "'" + text + "' is not in normalised form; use '" + expected + "'" + whyNotNormal(host));
    }
    if (wildcard) {
      if (Hosts.isIpLiteral(normalized)) {
        throw new IllegalArgumentException("'" + text + "': a wildcard cannot prefix an IP address");
      }
      if (normalized.indexOf('.') < 0) {
        throw new IllegalArgumentException("'" + text + "' would match every host under a top-level"
            + " domain; name the registered domain, e.g. '*.example." + normalized + "'");
      }
      return new DomainPattern(expected, true, "." + normalized);
    }
    return new DomainPattern(expected, false, normalized);
  }

  private static String whyNotNormal(String host) {
    if (host.endsWith(".")) {
      return " (no trailing dot)";
    }
    for (int i = 0; i < host.length(); i++) {
      if (host.charAt(i) > 0x7f) {
        return " (the punycode form of the Unicode name)";
      }
    }
    return " (lower case)";
  }

  /** True when {@code normalizedHost} (see {@link Hosts#normalize}) is allowed by this pattern. */
  public boolean matches(String normalizedHost) {
    if (!wildcard) {
      return match.equals(normalizedHost);
    }
    return normalizedHost.length() > match.length() && normalizedHost.endsWith(match);
  }

  public boolean isWildcard() {
    return wildcard;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DomainPattern other && other.text.equals(text);
  }

  @Override
  public int hashCode() {
    return text.hashCode();
  }

  @Override
  public String toString() {
    return text;
  }
}
