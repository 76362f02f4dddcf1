package dev.keyward.proxy.forward;

import dev.keyward.vault.Injection;
import io.vertx.core.MultiMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Which headers cross the proxy. Towards the upstream: no hop-by-hop headers (and none the agent
 * listed in {@code Connection}), none that override the request's path, host or method, none of
 * the agent's credentials or platform token, none the
 * credential's injection would set (the agent can never choose or override a credential), none of
 * Keyward's own, and nothing about the agent's network unless configured. Towards the agent: no
 * hop-by-hop headers.
 */
public final class HeaderHygiene {

  /** RFC 9110 section 7.6.1, plus the non-standard ones proxies still see. */
  static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-authenticate",
      "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade");

  /** Where agents put the platform token: never forwarded. */
  static final Set<String> AGENT_CREDENTIALS =
      Set.of("authorization", "x-api-key", "x-goog-api-key", "api-key");

  /** What would tell the upstream about the agent's network. */
  static final Set<String> AGENT_NETWORK = Set.of("forwarded", "x-forwarded-for",
      "x-forwarded-proto", "x-forwarded-port", "x-real-ip", "via");

  /**
   * Headers some servers and frameworks honour as a rewrite of the request's path, host or method
   * (IIS and Symfony's X-Original-URL, method overrides that would turn an allowed POST into a
   * DELETE the policy never saw): the policy decided on the request as sent, so none of them may
   * change it upstream. Always dropped, whatever {@code forward_agent_network} says.
   */
  static final Set<String> ROUTING_OVERRIDES = Set.of("x-original-url", "x-rewrite-url",
      "x-override-url", "x-original-uri", "x-forwarded-uri", "x-forwarded-path",
      "x-forwarded-host", "x-forwarded-prefix", "x-original-host", "x-host", "x-forwarded-server",
      "x-envoy-original-path", "x-http-method-override", "x-http-method", "x-method-override",
      "x-original-method");

  /**
   * Set by the proxy itself or consumed by it. Keyward asks upstreams for an uncompressed body
   * ({@code Accept-Encoding: identity}): the redactor must see plain bytes.
   */
  static final Set<String> PROXY_OWN = Set.of("host", "expect", "accept-encoding");

  static final String KEYWARD_PREFIX = "keyward-";
  static final String X_KEYWARD_PREFIX = "x-keyward-";

  private final boolean forwardAgentNetwork;

  public HeaderHygiene(boolean forwardAgentNetwork) {
    this.forwardAgentNetwork = forwardAgentNetwork;
  }

  /** The agent's headers as they may go upstream, before the credential is injected. */
  public MultiMap toUpstream(MultiMap incoming, Injection injection) {
    Set<String> drop = connectionListed(incoming);
    if (injection.inHeader()) {
      drop.add(injection.name().toLowerCase(Locale.ROOT));
    }
    for (String extra : injection.extraHeaders().keySet()) {
      drop.add(extra.toLowerCase(Locale.ROOT));
    }
    return toUpstream(incoming, drop);
  }

  /** The agent's headers as they may go upstream when no credential is sent with them. */
  public MultiMap toUpstream(MultiMap incoming) {
    return toUpstream(incoming, connectionListed(incoming));
  }

  private MultiMap toUpstream(MultiMap incoming, Set<String> drop) {
    MultiMap out = MultiMap.caseInsensitiveMultiMap();
    for (Map.Entry<String, String> header : incoming) {
      String name = header.getKey().toLowerCase(Locale.ROOT);
      if (HOP_BY_HOP.contains(name) || AGENT_CREDENTIALS.contains(name) || PROXY_OWN.contains(name)
          || ROUTING_OVERRIDES.contains(name) || drop.contains(name) || name.startsWith(KEYWARD_PREFIX)
          || name.startsWith(X_KEYWARD_PREFIX)
          || (!forwardAgentNetwork && AGENT_NETWORK.contains(name))) {
        continue;
      }
      out.add(header.getKey(), header.getValue());
    }
    out.set("Accept-Encoding", "identity");
    return out;
  }

  /** Copies the upstream's response headers that may reach the agent into {@code out}. */
  public static void toAgent(MultiMap upstream, MultiMap out) {
    Set<String> drop = connectionListed(upstream);
    for (Map.Entry<String, String> header : upstream) {
      String name = header.getKey().toLowerCase(Locale.ROOT);
      if (!HOP_BY_HOP.contains(name) && !drop.contains(name)) {
        out.add(header.getKey(), header.getValue());
      }
    }
  }

  private static Set<String> connectionListed(MultiMap headers) {
    Set<String> listed = new HashSet<>();
    for (String value : headers.getAll("connection")) {
      for (String token : value.split(",")) {
        String name = token.trim().toLowerCase(Locale.ROOT);
        if (!name.isEmpty()) {
          listed.add(name);
        }
      }
    }
    return listed;
  }
}
