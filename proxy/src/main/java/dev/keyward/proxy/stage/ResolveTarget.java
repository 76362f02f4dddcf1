package dev.keyward.proxy.stage;

import dev.keyward.policies.BadTargetException;
import dev.keyward.policies.Names;
import dev.keyward.policies.PolicySet;
import dev.keyward.policies.Route;
import dev.keyward.policies.Target;
import dev.keyward.proxy.error.ErrorCode;
import dev.keyward.proxy.error.ProxyException;

/**
 * Stage 2: where the request goes. {@code /r/<route>/rest} maps to the route's upstream and
 * credential; the path is normalised (and refused if ambiguous) before anything checks it.
 */
public final class ResolveTarget {

  public static final String ROUTE_PREFIX = "/r/";

  public Target apply(String rawPath, String query, PolicySet policy, Exchange exchange)
      throws ProxyException {
    if (!rawPath.startsWith(ROUTE_PREFIX)) {
      throw ErrorCode.NOT_FOUND.exception();
    }
    String rest = rawPath.substring(ROUTE_PREFIX.length());
    int slash = rest.indexOf('/');
    String name = slash < 0 ? rest : rest.substring(0, slash);
    String remainder = slash < 0 ? "" : rest.substring(slash);
    if (!Names.isValid(name)) {
      throw ErrorCode.UNKNOWN_ROUTE.exception("'" + abbreviate(name) + "' is not a route name");
    }
    Route route = policy.route(name).orElseThrow(
        () -> ErrorCode.UNKNOWN_ROUTE.exception("the policy has no route '" + name + "'"));
    Target target;
    try {
      target = route.target(remainder, query);
    } catch (BadTargetException e) {
      throw ErrorCode.BAD_PATH.exception(e.getMessage());
    }
    exchange.resolved(route.name(), target, route.credentialId());
    return target;
  }

  private static String abbreviate(String text) {
    String printable = text.replaceAll("[^A-Za-z0-9._~%-]", "?");
    return printable.length() > 64 ? printable.substring(0, 64) + "…" : printable;
  }
}
