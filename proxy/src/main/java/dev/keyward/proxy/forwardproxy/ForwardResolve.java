package dev.keyward.proxy.forwardproxy;

import dev.keyward.policies.BadTargetException;
import dev.keyward.policies.ForwardPlan;
import dev.keyward.policies.Hosts;
import dev.keyward.policies.PolicySet;
import dev.keyward.policies.Route;
import dev.keyward.policies.RouteMatch;
import dev.keyward.policies.Target;
import dev.keyward.policies.Targets;
import dev.keyward.proxy.call.Call;
import dev.keyward.proxy.call.Interceptor;
import dev.keyward.proxy.error.ErrorCode;
import dev.keyward.proxy.error.ProxyException;
import dev.keyward.token.PlatformToken;
import dev.keyward.vault.Placeholders;
import dev.keyward.vault.SealedCredentialCache;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Map.Entry;
import java.util.Optional;
import java.util.Set;

/**
 * Where a forward-proxy request goes and with which credential. The target is the tunnel's host
 * and port (the request's {@code Host} must name them) or, for plain HTTP, the absolute URL (its
 * {@code Host} must agree). The credential is the one whose placeholder the request carries, in
 * its headers (Basic credentials decoded) or its URL: it is swapped for the key only when the
 * credential may be sent to this host; a placeholder of any other credential, or of none granted
 * to the agent, refuses the request ({@code placeholder_wrong_host}); a placeholder that cannot be
 * resolved because the store cannot be read now is {@code 503 credential_unavailable}, never
 * taken for no placeholder or another's. A request with no
 * placeholder goes without a key. A request to an LLM API that a route of the policy sends the
 * same credential to is that route's call: read, metered and budgeted as on the reverse path; on a
 * route with targets, through the one target it names (its model map, its first-byte timeout),
 * never on to another.
 */
final class ForwardResolve implements Interceptor {

  private final Tunnels tunnels;
  private final SealedCredentialCache cache;
  private final long defaultMaxRequestBody;

  ForwardResolve(Tunnels tunnels, SealedCredentialCache cache, long defaultMaxRequestBody) {
    this.tunnels = tunnels;
    this.cache = cache;
    this.defaultMaxRequestBody = defaultMaxRequestBody;
  }

  @Override
  public Future<Void> onRequest(Call call) {
    HttpServerRequest request = call.request();
    PlatformToken token = call.token();
    PolicySet policy = call.policy();
    Target target;
    try {
      target = request.isSSL() ? insideTunnel(request) : absolute(request);
    } catch (ProxyException e) {
      return Future.failedFuture(e);
    }
    try {
      requireHostAgrees(request, target);
    } catch (ProxyException e) {
      call.resolved(Optional.empty(), target, "", defaultMaxRequestBody); // audited with its host
      return Future.failedFuture(e);
    }
    call.forward(policy.forwardPlan(token.agent(), token.tenant(), token.groups(),
        target.scheme(), target.host(), target.port()));
    Set<String> found = placeholders(request);
    if (found.isEmpty()) {
      call.resolved(Optional.empty(), target, "", defaultMaxRequestBody);
      return CONTINUE;
    }
    List<String> granted = policy.grantedCredentials(token.agent(), token.tenant(),
        token.groups());
    return placeholdersOf(token.tenant(), granted).compose(owners -> {
      try {
        choose(call, target, found, owners);
        return CONTINUE;
      } catch (ProxyException e) {
        return Future.failedFuture(e);
      }
    });
  }

  /** Picks the one credential the placeholders name, or refuses. */
  private void choose(Call call, Target target, Set<String> found, Owners owners)
      throws ProxyException {
    PolicySet policy = call.policy();
    ForwardPlan plan = call.forward();
    List<String> applicable = plan.kind() == ForwardPlan.Kind.INTERCEPT ? plan.credentials()
        : List.of();
    Set<String> credentials = new LinkedHashSet<>();
    for (String placeholder : found) {
      String owner = owners.byPlaceholder().get(placeholder);
      if (owner == null && !owners.unreadable().isEmpty()) {
        // It may be the placeholder of a credential the store cannot give now: never guess.
        call.resolved(Optional.empty(), target, "", defaultMaxRequestBody);
        throw ErrorCode.CREDENTIAL_UNAVAILABLE.exception("the credential store cannot be read"
            + " now, so the request's placeholder cannot be resolved; try again later");
      }
      if (owner == null || !applicable.contains(owner)) {
        call.resolved(Optional.empty(), target, owner == null ? "" : owner,
            defaultMaxRequestBody);
        throw ProxyException.denied(policy.placeholderWrongHost(owner == null ? "" : owner,
            target.host(), owner == null
                ? "the request carries a placeholder of no credential granted to agent '"
                    + call.token().agent() + "'"
                : "the request carries the placeholder of credential '" + owner
                    + "', which may not be sent to " + target.host()));
      }
      credentials.add(owner);
    }
    if (credentials.size() > 1) {
      throw ErrorCode.AMBIGUOUS_CREDENTIAL.exception("the request carries the placeholders of"
          + " credentials " + credentials + "; send one");
    }
    String credential = credentials.iterator().next();
    Optional<RouteMatch> match = policy.routeFor(credential, target);
    Optional<Route> route = match.map(RouteMatch::route);
    call.resolved(route, target, credential,
        route.map(r -> r.maxRequestBody(defaultMaxRequestBody)).orElse(defaultMaxRequestBody));
    match.flatMap(RouteMatch::target).ifPresent(call::through);
  }

  /**
   * Placeholder → credential id, for the credentials granted to the agent that have one; and the
   * credentials the store could not give now (their placeholders are then unknown).
   */
  record Owners(Map<String, String> byPlaceholder, List<String> unreadable) {}

  private Future<Owners> placeholdersOf(String tenant, List<String> credentials) {
    Context context = Vertx.currentContext();
    List<Future<SealedCredentialCache.Entry>> loads = new ArrayList<>();
    for (String id : credentials) {
      loads.add(Future.fromCompletionStage(cache.get(tenant, id), context));
    }
    return Future.join(loads).transform(done -> {
      Map<String, String> owners = new HashMap<>();
      List<String> unreadable = new ArrayList<>();
      for (int i = 0; i < loads.size(); i++) {
        Future<SealedCredentialCache.Entry> load = loads.get(i);
        if (load.failed()) {
          unreadable.add(credentials.get(i));
        } else if (load.result() != null
            && !load.result().credential().metadata().placeholder().isEmpty()) {
          owners.put(load.result().credential().metadata().placeholder(), credentials.get(i));
        }
      }
      return Future.succeededFuture(new Owners(Map.copyOf(owners), List.copyOf(unreadable)));
    });
  }

  /** Every placeholder in the request line and headers (Basic credentials decoded). */
  static Set<String> placeholders(HttpServerRequest request) {
    Set<String> found = new LinkedHashSet<>(Placeholders.findIn(request.uri()));
    for (Entry<String, String> header : request.headers()) {
      String value = header.getValue();
      found.addAll(Placeholders.findIn(value));
      String trimmed = value.trim();
      if (trimmed.regionMatches(true, 0, "Basic ", 0, 6)) {
        try {
          found.addAll(Placeholders.findIn(new String(
              Base64.getDecoder().decode(trimmed.substring(6).trim()), StandardCharsets.UTF_8)));
        } catch (IllegalArgumentException e) {
          // not base64: the value was scanned as it is
        }
      }
    }
    if (request.uri().indexOf('%') >= 0) {
      try {
        found.addAll(Placeholders.findIn(java.net.URLDecoder.decode(request.uri(),
            StandardCharsets.UTF_8)));
      } catch (IllegalArgumentException e) {
        // malformed escapes: the raw form was scanned
      }
    }
    return found;
  }

  /** A request inside a tunnel: to the tunnel's host and port. */
  private Target insideTunnel(HttpServerRequest request) throws ProxyException {
    Tunnel tunnel = tunnels.of(request);
    return new Target("https", tunnel.host(), tunnel.port(), path(request.path()),
        request.query());
  }

  /** The request's Host must name the tunnel's (or the absolute URL's) host and port. */
  private static void requireHostAgrees(HttpServerRequest request, Target target)
      throws ProxyException {
    if (request.isSSL()) {
      HostAndPort authority = request.authority();
      if (authority != null) {
        requireSame(authority, target.scheme(), target.host(), target.port());
      }
      return;
    }
    String hostHeader = request.getHeader("Host");
    if (hostHeader != null) {
      HostAndPort named = HostAndPort.parseAuthority(hostHeader, -1);
      if (named == null) {
        throw ErrorCode.HOST_MISMATCH.exception("the Host header is not a valid host");
      }
      requireSame(named, target.scheme(), target.host(), target.port());
    }
  }

  /** A plain-HTTP request in absolute form: to {@code http://host[:port]/path?query}. */
  private static Target absolute(HttpServerRequest request) throws ProxyException {
    URI uri;
    try {
      uri = new URI(request.uri());
    } catch (URISyntaxException e) {
      throw ErrorCode.BAD_TARGET.exception("the request URL is not valid");
    }
    if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null
        || uri.getRawUserInfo() != null) {
      throw ErrorCode.NOT_PROXY_REQUEST.exception();
    }
    String host = host(uri.getHost());
    int port = uri.getPort() == -1 ? 80 : uri.getPort();
    String rawPath = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/"
        : uri.getRawPath();
    return new Target("http", host, port, path(rawPath), uri.getRawQuery());
  }

  private static void requireSame(HostAndPort named, String scheme, String host, int port)
      throws ProxyException {
    String namedHost;
    try {
      namedHost = host(named.host().contains(":") && !named.host().startsWith("[")
          ? "[" + named.host() + "]" : named.host());
    } catch (ProxyException e) {
      throw ErrorCode.HOST_MISMATCH.exception("the Host header is not a valid host");
    }
    int namedPort = named.port() < 0 ? Targets.defaultPort(scheme) : named.port();
    if (!namedHost.equals(host) || namedPort != port) {
      throw ErrorCode.HOST_MISMATCH.exception("the request names " + printable(named.toString())
          + " but goes to " + host + ":" + port);
    }
  }

  private static String host(String text) throws ProxyException {
    try {
      return Hosts.normalize(text);
    } catch (IllegalArgumentException e) {
      throw ErrorCode.BAD_TARGET.exception("invalid target host: " + e.getMessage());
    }
  }

  /**
   * The normalised path. Empty segments ({@code //}) are refused, not guessed at: upstreams that
   * merge them would serve a path other than the one the routes and grants were checked against.
   */
  private static String path(String raw) throws ProxyException {
    String path;
    try {
      path = Targets.normalizePath(raw == null || raw.isEmpty() ? "/" : raw);
    } catch (BadTargetException e) {
      throw ErrorCode.BAD_PATH.exception(e.getMessage());
    }
    if (path.contains("//")) {
      throw ErrorCode.BAD_PATH.exception("empty path segments ('//') are not allowed in the path");
    }
    return path;
  }

  private static String printable(String text) {
    String cleaned = text.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.:\\[\\]-]", "?");
    return cleaned.length() > 80 ? cleaned.substring(0, 80) + "…" : cleaned;
  }
}
