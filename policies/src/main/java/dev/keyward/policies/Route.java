package dev.keyward.policies;

import java.util.OptionalLong;

/**
 * A named upstream: {@code /r/<name>/rest} goes to {@code upstream + rest} with {@code credentialId}.
 * A route that lists {@code targets} ({@link Routing#chained()}) goes to them instead, one after
 * the other; its {@code upstream} and {@code credentialId} are then its first target's.
 *
 * @param upstream the base URL, normalised, with no query
 * @param maxRequestBody the largest request body this route forwards; empty means the default
 * @param llm the LLM API the route speaks, its tiers, allowlist and aliases
 * @param routing the route's targets and how calls are spread over them; {@link Routing#NONE}
 *     for a route with one upstream
 */
public record Route(String name, Target upstream, String credentialId,
    OptionalLong maxRequestBody, LlmRoute llm, Routing routing) {

  public Route(String name, Target upstream, String credentialId) {
    this(name, upstream, credentialId, OptionalLong.empty(), LlmRoute.NONE);
  }

  public Route(String name, Target upstream, String credentialId, OptionalLong maxRequestBody,
      LlmRoute llm) {
    this(name, upstream, credentialId, maxRequestBody, llm, Routing.NONE);
  }

  /**
   * The body limit: the route's own, else 4 MiB on an LLM route or a route with targets (both
   * read the body whole), else {@code plainDefault}.
   */
  public long maxRequestBody(long plainDefault) {
    return maxRequestBody.orElse(llm.understood() || routing.chained()
        ? LlmRoute.DEFAULT_MAX_REQUEST_BODY : plainDefault);
  }

  /**
   * The target for a request whose path under {@code /r/<name>} is {@code rawRest}.
   *
   * @param rawRest the still-encoded remainder of the path, starting with '/' or empty
   * @param query the raw query string or null
   */
  public Target target(String rawRest, String query) throws BadTargetException {
    return Targets.under(upstream, Targets.normalizePath(rawRest), query);
  }
}
