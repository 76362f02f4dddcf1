package dev.keyward.llm;

/** Small helpers for request paths as the proxy hands them over: normalised, maybe with a query. */
final class Paths {

  private Paths() {}

  static String withoutQuery(String path) {
    int end = path.length();
    int query = path.indexOf('?');
    if (query >= 0) {
      end = query;
    }
    int fragment = path.indexOf('#');
    if (fragment >= 0 && fragment < end) {
      end = fragment;
    }
    return path.substring(0, end);
  }
}
