package dev.keyward.policies;

import java.util.OptionalLong;

/**
 * A named upstream: {@code /r/<name>/rest} goes to {@code upstream + rest} with {@code credentialId}.
 *
 * @param upstream the base URL, normalised, with no query
 * @param maxRequestBody the largest request body this route forwards; empty means the default
 * @param llm the LLM API the route speaks, its tiers, allowlist and aliases
 */
public record Route(String name, Target upstream, String credentialId,
    OptionalLong maxRequestBody, LlmRoute llm) {

  public Route(String name, Target upstream, String credentialId) {
    this(name, upstream, credentialId, OptionalLong.empty(), LlmRoute.NONE);
  }

  /** The body limit: the route's own, else 4 MiB on an LLM route, else {@code plainDefault}. */
  public long maxRequestBody(long plainDefault) {
    return maxRequestBody.orElse(llm.understood() ? LlmRoute.DEFAULT_MAX_REQUEST_BODY
        : plainDefault);
  }

  /**
   * The target for a request whose path under {@code /r/<name>} is {@code rawRest}.
   *
   * @param rawRest the still-encoded remainder of the path, starting with '/' or empty
   * @param query the raw query string or null
   */
  public Target target(String rawRest, String query) throws BadTargetException {
    String path = Targets.join(upstream.path(), Targets.normalizePath(rawRest));
    return new Target(upstream.scheme(), upstream.host(), upstream.port(), path, query);
  }
}
