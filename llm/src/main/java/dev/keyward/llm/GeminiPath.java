package dev.keyward.llm;

/** The model segment of a Gemini path: {@code .../models/{model}:generateContent?alt=sse}. */
final class GeminiPath {

  private GeminiPath() {}

  /** The model named in the path, or null if the path has none. */
  static String model(String path) {
    int[] span = span(path);
    return span == null ? null : path.substring(span[0], span[1]);
  }

  /**
   * The same path naming another model. Only letters, digits, '.', '_' and '-' may go in, so the
   * new name cannot change the rest of the path.
   */
  static String withModel(String path, String model) {
    for (int i = 0; i < model.length(); i++) {
      char c = model.charAt(i);
      boolean plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '.' || c == '_' || c == '-';
      if (!plain) {
        throw new IllegalArgumentException("model '" + model + "' cannot go in a Gemini path;"
            + " use letters, digits, '.', '_' and '-' only");
      }
    }
    int[] span = span(path);
    if (span == null) {
      throw new IllegalArgumentException("the path names no Gemini model");
    }
    return path.substring(0, span[0]) + model + path.substring(span[1]);
  }

  /** Start and end of the model in the last segment, which must follow {@code models/}. */
  private static int[] span(String path) {
    String bare = Paths.withoutQuery(path);
    int end = bare.length();
    while (end > 0 && bare.charAt(end - 1) == '/') {
      end--;
    }
    int start = bare.lastIndexOf('/', end - 1) + 1;
    int colon = bare.indexOf(':', start);
    if (start == 0 || colon < 0 || colon >= end || colon == start) {
      return null;
    }
    return new int[] {start, colon};
  }
}
