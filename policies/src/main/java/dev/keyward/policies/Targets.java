package dev.keyward.policies;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * Parses and normalises request targets. Paths are normalised before any prefix check:
 * percent-encoded unreserved characters are decoded, other escapes upper-cased; dot segments (also
 * encoded, as {@code %2e%2e}), encoded slashes, backslashes, NUL and other control characters are
 * refused rather than guessed at. What was checked is exactly what is forwarded.
 */
public final class Targets {

  public static final String BAD_PATH = "bad_path";
  public static final String BAD_TARGET = "bad_target";

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private Targets() {}

  public static int defaultPort(String scheme) {
    return scheme.equals("http") ? 80 : 443;
  }

  /**
   * Parses an absolute upstream base URL from a policy: {@code http} or {@code https}, a host, an
   * optional port and base path; no user info, query or fragment.
   */
  public static Target parseBaseUrl(String url) throws BadTargetException {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new BadTargetException(BAD_TARGET, "not a valid URL: " + e.getReason());
    }
    String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!"https".equals(scheme) && !"http".equals(scheme)) {
      throw new BadTargetException(BAD_TARGET, "the URL must start with https:// (or http://)");
    }
    if (uri.getRawUserInfo() != null) {
      throw new BadTargetException(BAD_TARGET, "the URL must not contain user info ('user@')");
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new BadTargetException(BAD_TARGET, "the URL must not have a query or fragment");
    }
    if (uri.getHost() == null) {
      throw new BadTargetException(BAD_TARGET,
          "the URL has no valid host (write Unicode host names in their punycode form)");
    }
    String host = host(uri.getHost());
    int port = uri.getPort() == -1 ? defaultPort(scheme) : checkPort(uri.getPort());
    String rawPath = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    String path = normalizePath(rawPath);
    if (path.length() > 1 && path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    return new Target(scheme, host, port, path, null);
  }

  /**
   * Parses an explicit target from the part of a request path after {@code /t/}: {@code
   * host[:port]/path}. Explicit targets are always https.
   */
  public static Target parseExplicit(String authorityAndPath, String query)
      throws BadTargetException {
    int slash = authorityAndPath.indexOf('/');
    String authority = slash < 0 ? authorityAndPath : authorityAndPath.substring(0, slash);
    String rawPath = slash < 0 ? "/" : authorityAndPath.substring(slash);
    if (authority.isEmpty()) {
      throw new BadTargetException(BAD_TARGET, "no target host after /t/");
    }
    if (authority.indexOf('@') >= 0 || authority.indexOf('%') >= 0
        || authority.indexOf('\\') >= 0) {
      throw new BadTargetException(BAD_TARGET, "the target must be a plain host[:port]");
    }
    String hostText = authority;
    int port = 443;
    int colon = authority.lastIndexOf(':');
    if (colon >= 0 && colon > authority.lastIndexOf(']')) {
      hostText = authority.substring(0, colon);
      port = parsePort(authority.substring(colon + 1));
    }
    return new Target("https", host(hostText), port, normalizePath(rawPath), query);
  }

  /** Normalises a raw (still percent-encoded) absolute path; see the class comment for rules. */
  public static String normalizePath(String rawPath) throws BadTargetException {
    if (rawPath.isEmpty()) {
      return "/";
    }
    if (rawPath.charAt(0) != '/') {
      throw new BadTargetException(BAD_PATH, "the path must start with '/'");
    }
    StringBuilder out = new StringBuilder(rawPath.length());
    for (int i = 0; i < rawPath.length(); i++) {
      char c = rawPath.charAt(i);
      if (c == '%') {
        if (i + 2 >= rawPath.length()) {
          throw new BadTargetException(BAD_PATH, "incomplete percent-encoding in the path");
        }
        int hi = Character.digit(rawPath.charAt(i + 1), 16);
        int lo = Character.digit(rawPath.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw new BadTargetException(BAD_PATH, "invalid percent-encoding in the path");
        }
        int value = hi << 4 | lo;
        i += 2;
        if (value == '/' || value == '\\') {
          throw new BadTargetException(BAD_PATH, "encoded slashes are not allowed in the path");
        }
        if (value < 0x20 || value == 0x7f) {
          throw new BadTargetException(BAD_PATH, "control characters are not allowed in the path");
        }
        if (isUnreserved(value)) {
          out.append((char) value);
        } else {
          out.append('%').append(HEX[value >> 4]).append(HEX[value & 0xf]);
        }
      } else if (c == '\\') {
        throw new BadTargetException(BAD_PATH, "backslashes are not allowed in the path");
      } else if (c <= 0x20 || c >= 0x7f || c == '#' || c == '?') {
        throw new BadTargetException(BAD_PATH, "the path has a character that must be encoded");
      } else {
        out.append(c);
      }
    }
    String path = out.toString();
    for (String segment : path.split("/", -1)) {
      if (segment.equals(".") || segment.equals("..")) {
        throw new BadTargetException(BAD_PATH, "dot segments ('.', '..') are not allowed in the path");
      }
    }
    return path;
  }

  /**
   * The URL under {@code base} for a request whose normalised path below it is {@code path}.
   *
   * @param query the raw query string or null
   */
  public static Target under(Target base, String path, String query) {
    return new Target(base.scheme(), base.host(), base.port(), join(base.path(), path), query);
  }

  /** Joins a normalised base path (no trailing slash) and a normalised request path. */
  public static String join(String basePath, String path) {
    if (basePath.equals("/")) {
      return path;
    }
    return path.equals("/") ? basePath : basePath + path;
  }

  private static boolean isUnreserved(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '-' || c == '.' || c == '_' || c == '~';
  }

  private static String host(String text) throws BadTargetException {
    try {
      return Hosts.normalize(text);
    } catch (IllegalArgumentException e) {
      throw new BadTargetException(BAD_TARGET, "invalid target host: " + e.getMessage());
    }
  }

  private static int parsePort(String text) throws BadTargetException {
    if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(Character::isDigit)) {
      throw new BadTargetException(BAD_TARGET, "invalid target port");
    }
    return checkPort(Integer.parseInt(text));
  }

  private static int checkPort(int port) throws BadTargetException {
    if (port < 1 || port > 65535) {
      throw new BadTargetException(BAD_TARGET, "target port out of range");
    }
    return port;
  }
}
