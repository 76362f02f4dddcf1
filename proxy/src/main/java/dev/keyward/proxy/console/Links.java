package dev.keyward.proxy.console;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Console URLs with their parts encoded: path segments and query parameters. */
public final class Links {

  private Links() {}

  /** {@code /console/a/b} from segments, each percent-encoded. */
  public static String path(String... segments) {
    StringBuilder path = new StringBuilder(Console.ROOT);
    for (String segment : segments) {
      path.append('/').append(encode(segment));
    }
    return path.toString();
  }

  /** {@code base?k=v&…}, or {@code base} with no parameters. */
  public static String query(String base, Map<String, String> params) {
    StringBuilder url = new StringBuilder(base);
    char sep = base.indexOf('?') >= 0 ? '&' : '?';
    for (Map.Entry<String, String> e : params.entrySet()) {
      url.append(sep).append(encode(e.getKey())).append('=').append(encode(e.getValue()));
      sep = '&';
    }
    return url.toString();
  }

  static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
