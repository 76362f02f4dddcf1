package dev.keyward.vault;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Which hosts plain HTTP may reach without exposing what it carries: the loopback interface only,
 * named literally ({@code localhost}, {@code 127.x.x.x}, {@code ::1}). Names are never resolved: a
 * DNS name that happens to point at 127.0.0.1 today is not trusted.
 */
public final class LoopbackHosts {

  private static final Pattern IPV4_LOOPBACK =
      Pattern.compile("127\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)(\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)){2}");

  private LoopbackHosts() {}

  /** @param host a URI's host, IPv6 literals with or without brackets */
  public static boolean isLoopback(String host) {
    if (host == null) {
      return false;
    }
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    return h.equals("localhost") || IPV4_LOOPBACK.matcher(h).matches() || h.equals("::1")
        || h.equals("0:0:0:0:0:0:0:1");
  }
}
