package dev.keyward.llm;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The wire format a route speaks. {@link #NONE} is the plain pipe: nothing is read or changed. The
 * config names are {@code none | openai | anthropic | gemini}.
 */
public enum Api {
  NONE,
  /** OpenAI and the OpenAI-compatible APIs: OpenRouter, MiniMax, DeepSeek, the compat endpoints. */
  OPENAI,
  ANTHROPIC,
  GEMINI;

  /** The name used in configuration. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The API named by a configuration value. A missing value (null or blank) is {@link #NONE}.
   *
   * @throws IllegalArgumentException naming the accepted values
   */
  public static Api parse(String text) {
    if (text == null || text.isBlank()) {
      return NONE;
    }
    for (Api api : values()) {
      if (api.configName().equals(text)) {
        return api;
      }
    }
    for (Api api : values()) {
      if (api.configName().equals(text.trim().toLowerCase(Locale.ROOT))) {
        throw new IllegalArgumentException(
            "api '" + text + "' is not spelled as configuration expects: use '"
                + api.configName() + "'");
      }
    }
    throw new IllegalArgumentException(
        "unknown api '" + text + "'; use one of none, openai, anthropic, gemini");
  }

  /**
   * Classifies a request on a route of this API. {@code path} is relative to the route's upstream
   * base (it may carry a version prefix such as {@code /v1} and a query string). Only {@code POST}s
   * to a known generation or embedding endpoint are metered; anything else, such as {@code GET
   * /models} or {@code /v1/messages/count_tokens}, is {@link Endpoint#OTHER} and passes untouched.
   *
   * <p>Matching looks at the last path segments only, ignores empty segments and ASCII case, so a
   * spelling the upstream may still accept ({@code //chat/completions/}) is metered, not skipped.
   */
  public Endpoint endpoint(String method, String path) {
    if (this == NONE || method == null || path == null || !method.equalsIgnoreCase("POST")) {
      return Endpoint.OTHER;
    }
    List<String> segments = segments(path);
    if (segments.isEmpty()) {
      return Endpoint.OTHER;
    }
    String last = segments.get(segments.size() - 1);
    String previous = segments.size() > 1 ? segments.get(segments.size() - 2) : "";
    switch (this) {
      case OPENAI -> {
        if (last.equals("completions")) {
          return previous.equals("chat") ? Endpoint.CHAT_COMPLETIONS : Endpoint.COMPLETIONS;
        }
        if (last.equals("responses")) {
          return Endpoint.RESPONSES;
        }
        return last.equals("embeddings") ? Endpoint.EMBEDDINGS : Endpoint.OTHER;
      }
      case ANTHROPIC -> {
        return last.equals("messages") ? Endpoint.MESSAGES : Endpoint.OTHER;
      }
      case GEMINI -> {
        if (!previous.equals("models")) {
          return Endpoint.OTHER;
        }
        int colon = last.indexOf(':');
        if (colon <= 0) {
          return Endpoint.OTHER;
        }
        return switch (last.substring(colon + 1)) {
          case "generatecontent" -> Endpoint.GENERATE_CONTENT;
          case "streamgeneratecontent" -> Endpoint.STREAM_GENERATE_CONTENT;
          default -> Endpoint.OTHER;
        };
      }
      default -> {
        return Endpoint.OTHER;
      }
    }
  }

  /** Lower-cased non-empty segments of the path without its query or fragment. */
  private static List<String> segments(String path) {
    List<String> out = new ArrayList<>();
    for (String segment : Paths.withoutQuery(path).split("/")) {
      if (!segment.isEmpty()) {
        out.add(segment.toLowerCase(Locale.ROOT));
      }
    }
    return out;
  }
}
