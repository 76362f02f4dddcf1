package dev.keyward.token;

import java.util.Locale;
import java.util.Optional;

/** What an agent says a token is for; routes may pick a model tier from it. */
public enum Purpose {
  CONVERSATION,
  HEARTBEAT,
  SUBAGENT;

  /** The claim value, e.g. {@code heartbeat}. */
  public String claim() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<Purpose> fromClaim(String value) {
    for (Purpose purpose : values()) {
      if (purpose.claim().equals(value)) {
        return Optional.of(purpose);
      }
    }
    return Optional.empty();
  }
}
