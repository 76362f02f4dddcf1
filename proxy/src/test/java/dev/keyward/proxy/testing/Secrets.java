package dev.keyward.proxy.testing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every provider key, agent secret and token the test helpers handle in this JVM, so the leak scan
 * can search logs, metrics and audit records for them (and for their base64 forms).
 */
public final class Secrets {

  private static final Set<String> ALL = ConcurrentHashMap.newKeySet();
  /** Shorter values are too likely to occur by chance (a digit, a word). */
  private static final int MIN_LENGTH = 12;

  private Secrets() {}

  public static String register(String secret) {
    if (secret != null && secret.strip().length() >= MIN_LENGTH) {
      ALL.add(secret.strip());
    }
    return secret;
  }

  public static int count() {
    return ALL.size();
  }

  /** The registered secrets that {@code text} contains, as such or base64-encoded. */
  public static List<String> foundIn(String text) {
    List<String> found = new ArrayList<>();
    for (String secret : ALL) {
      String base64 = Base64.getEncoder().encodeToString(secret.getBytes(StandardCharsets.UTF_8));
      if (text.contains(secret) || text.contains(base64)) {
        // Name it by a prefix only: the failure message must not become a leak of its own.
        found.add(secret.substring(0, 6) + "…");
      }
    }
    return found;
  }
}
