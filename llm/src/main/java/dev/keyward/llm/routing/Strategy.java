package dev.keyward.llm.routing;

import java.util.Locale;

/** How a route with several targets orders them for one call. */
public enum Strategy {
  /** The route's order: the first target, then the next when it fails. The default. */
  FALLBACK("fallback"),
  /** The first target by static weights (smooth weighted round-robin), then the rest in order. */
  WEIGHTED("weighted"),
  /** Best weighted score of cost, quality and latency first, then the rest by score. */
  SCORE("score");

  private final String wireName;

  Strategy(String wireName) {
    this.wireName = wireName;
  }

  /** As written in a policy. */
  public String wireName() {
    return wireName;
  }

  /** The strategy written {@code text}; throws with the choices otherwise. */
  public static Strategy parse(String text) {
    for (Strategy strategy : values()) {
      if (strategy.wireName.equals(text)) {
        return strategy;
      }
    }
    String lower = text.toLowerCase(Locale.ROOT);
    throw new IllegalArgumentException("unknown strategy '" + text + "'; use "
        + (lower.equals(text) ? "" : "lower case: ") + "fallback, weighted or score");
  }
}
