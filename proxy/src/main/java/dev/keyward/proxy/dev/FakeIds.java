package dev.keyward.proxy.dev;

import java.time.Clock;
import java.util.concurrent.ThreadLocalRandom;

/** Ids shaped like each provider's ({@code chatcmpl-…}, {@code msg_…}) and creation times. */
final class FakeIds {

  private static final String ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

  private final Clock clock;

  FakeIds(Clock clock) {
    this.clock = clock;
  }

  /** {@code prefix} and {@code length} random letters and digits. */
  String prefixed(String prefix, int length) {
    StringBuilder id = new StringBuilder(prefix);
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int i = 0; i < length; i++) {
      id.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
    }
    return id.toString();
  }

  long epochSecond() {
    return clock.instant().getEpochSecond();
  }
}
