package dev.keyward.policies;

import java.net.IDN;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * Host names in the one form Keyward compares them in: ASCII (IDNA/punycode), lower case, no
 * trailing dot; IPv4 literals in dotted-decimal form; IPv6 literals in brackets, RFC 5952 form.
 *
 * <p>Both sides of every comparison (policy patterns and request targets) go through {@link
 * #normalize}, so {@code API.OpenRouter.AI.} and {@code api.openrouter.ai} are the same host, and a
 * Cyrillic look-alike is a different (punycode) host.
 */
public final class Hosts {

  /** Longest host name DNS allows. */
  public static final int MAX_LENGTH = 253;

  private Hosts() {}

  /**
   * Returns the normalised form of {@code host}.
   *
   * @throws IllegalArgumentException naming what is wrong, when {@code host} is not a usable host
   */
  public static String normalize(String host) {
    if (host == null || host.isEmpty()) {
      throw new IllegalArgumentException("empty host");
    }
    if (host.startsWith("[")) {
      return normalizeIpv6Literal(host);
    }
    String h = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    if (h.isEmpty() || h.startsWith(".") || h.contains("..")) {
      throw new IllegalArgumentException("empty label in host");
    }
    String ascii;
    try {
      ascii = IDN.toASCII(h, IDN.USE_STD3_ASCII_RULES).toLowerCase(Locale.ROOT);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a valid host name");
    }
    if (ascii.isEmpty() || ascii.length() > MAX_LENGTH) {
      throw new IllegalArgumentException("host name length out of range");
    }
    if (endsInNumber(ascii) && !isCanonicalIpv4(ascii)) {
      // Resolvers read 2130706433, 0x7f.1 and 0177.0.0.1 as IPv4 addresses; refuse the ambiguity.
      throw new IllegalArgumentException("numeric host is not a dotted-decimal IPv4 address");
    }
    return ascii;
  }

  /** True when {@code host} is already in normalised form. */
  public static boolean isNormalized(String host) {
    try {
      return normalize(host).equals(host);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** True for an IPv4 or bracketed IPv6 literal in normalised form. */
  public static boolean isIpLiteral(String normalizedHost) {
    return normalizedHost.startsWith("[") || isCanonicalIpv4(normalizedHost);
  }

  /** The address of an IP literal host; no DNS lookup is made. */
  public static InetAddress literalAddress(String normalizedHost) {
    if (!isIpLiteral(normalizedHost)) {
      throw new IllegalArgumentException("not an IP literal");
    }
    String text = normalizedHost.startsWith("[")
        ? normalizedHost.substring(1, normalizedHost.length() - 1)
        : normalizedHost;
    try {
      return InetAddress.getByName(text); // a literal: parsed, never resolved
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an IP literal");
    }
  }

  private static boolean endsInNumber(String host) {
    int dot = host.lastIndexOf('.');
    String last = host.substring(dot + 1);
    if (last.isEmpty()) {
      return false;
    }
    if (last.startsWith("0x")) {
      return true;
    }
    for (int i = 0; i < last.length(); i++) {
      if (!Character.isDigit(last.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  /** Four dot-separated decimal parts, 0-255, without leading zeros; scanned, not split. */
  private static boolean isCanonicalIpv4(String host) {
    int parts = 0;
    int value = 0;
    int digits = 0;
    for (int i = 0; i <= host.length(); i++) {
      char c = i < host.length() ? host.charAt(i) : '.';
      if (c == '.') {
        if (digits == 0 || ++parts > 4) {
          return false;
        }
        value = 0;
        digits = 0;
      } else if (c >= '0' && c <= '9') {
        if ((digits == 1 && value == 0) || ++digits > 3) {
          return false; // a leading zero, or too many digits
        }
        value = value * 10 + (c - '0');
        if (value > 255) {
          return false;
        }
      } else {
        return false;
      }
    }
    return parts == 4;
  }

  private static String normalizeIpv6Literal(String host) {
    if (!host.endsWith("]") || host.length() < 4) {
      throw new IllegalArgumentException("malformed IPv6 literal");
    }
    String inner = host.substring(1, host.length() - 1);
    if (inner.indexOf(':') < 0) {
      throw new IllegalArgumentException("malformed IPv6 literal");
    }
    for (int i = 0; i < inner.length(); i++) {
      char c = inner.charAt(i);
      boolean ok = c == ':' || c == '.' || Character.digit(c, 16) >= 0;
      if (!ok) {
        throw new IllegalArgumentException("malformed IPv6 literal"); // zone ids included
      }
    }
    InetAddress address;
    try {
      address = InetAddress.getByName(inner);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("malformed IPv6 literal");
    }
    if (!(address instanceof Inet6Address)) {
      // IPv4-mapped literals come back as IPv4: keep them in the IPv6 form they were written in.
      return "[::ffff:" + address.getHostAddress() + "]";
    }
    return "[" + rfc5952(address.getAddress()) + "]";
  }

  /** RFC 5952 text: lower-case hex, no leading zeros, the longest run of zero groups as "::". */
  static String rfc5952(byte[] bytes) {
    int[] groups = new int[8];
    for (int i = 0; i < 8; i++) {
      groups[i] = ((bytes[2 * i] & 0xff) << 8) | (bytes[2 * i + 1] & 0xff);
    }
    int bestStart = -1;
    int bestLength = 1;
    for (int i = 0; i < 8; ) {
      int j = i;
      while (j < 8 && groups[j] == 0) {
        j++;
      }
      if (j - i > bestLength) {
        bestStart = i;
        bestLength = j - i;
      }
      i = j == i ? i + 1 : j;
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        out.append("::");
        i += bestLength - 1;
        continue;
      }
      if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
        out.append(':');
      }
      out.append(Integer.toHexString(groups[i]));
    }
    return out.toString();
  }
}
