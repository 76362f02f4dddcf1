package dev.keyward.proxy;

import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Request ids: the agent's {@code X-Request-Id} when it is a plausible id (so traces join up),
 * otherwise a new random one. Ids are correlation handles, not secrets.
 */
public final class RequestIds {

  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._:-]{8,128}");

  private RequestIds() {}

  public static String fromAgentOrNew(String agentValue) {
    return agentValue != null && VALID.matcher(agentValue).matches() ? agentValue : newId();
  }

  public static String newId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    return "kw-" + Long.toHexString(random.nextLong() | Long.MIN_VALUE)
        + Long.toHexString(random.nextLong() | Long.MIN_VALUE);
  }
}
