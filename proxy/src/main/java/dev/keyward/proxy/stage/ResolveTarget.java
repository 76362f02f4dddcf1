package dev.keyward.proxy.stage;

import dev.keyward.policies.BadTargetException;
import dev.keyward.policies.CredentialChoice;
import dev.keyward.policies.Names;
import dev.keyward.policies.PolicySet;
import dev.keyward.policies.Route;
import dev.keyward.policies.RouteTarget;
import dev.keyward.policies.Target;
import dev.keyward.policies.Targets;
import dev.keyward.proxy.call.Attempt;
import dev.keyward.proxy.call.Call;
import dev.keyward.proxy.call.Interceptor;
import dev.keyward.proxy.error.ErrorCode;
import dev.keyward.proxy.error.ProxyException;
import dev.keyward.token.PlatformToken;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where the request goes, and with which credential. {@code /r/<route>/rest} maps to the
 * route's upstream and credential; on a route with targets, to one planned attempt per target,
 * each with its own upstream and credential ({@link Call#plan()}). {@code /t/<host[:port]>/path} names the upstream directly
 * (always https); the credential is the one in the {@code Keyward-Credential} header, or else the
 * only credential granted to the agent whose allowed domains include the host. Paths are
 * normalised, and refused if ambiguous, before anything checks them.
 */
public final class ResolveTarget implements Interceptor {

  public static final String ROUTE_PREFIX = "/r/";
  public static final String TARGET_PREFIX = "/t/";
  public static final String CREDENTIAL_HEADER = "Keyward-Credential";

  private final long defaultMaxRequestBody;

  /**
   * @param defaultMaxRequestBody the body limit of explicit targets and of routes that set none
   */
  public ResolveTarget(long defaultMaxRequestBody) {
    this.defaultMaxRequestBody = defaultMaxRequestBody;
  }

  public static boolean handles(String path) {
    return path.startsWith(ROUTE_PREFIX) || path.startsWith(TARGET_PREFIX);
  }

  @Override
  public Future<Void> onRequest(Call call) {
    HttpServerRequest request = call.request();
    String rawPath = request.path();
    try {
      if (rawPath.startsWith(ROUTE_PREFIX)) {
        route(rawPath.substring(ROUTE_PREFIX.length()), request.query(), call.policy(), call);
      } else if (rawPath.startsWith(TARGET_PREFIX)) {
        explicit(rawPath.substring(TARGET_PREFIX.length()), request.query(),
            request.getHeader(CREDENTIAL_HEADER), call.policy(), call);
      } else {
        throw ErrorCode.NOT_FOUND.exception();
      }
      return CONTINUE;
    } catch (ProxyException e) {
      return Future.failedFuture(e);
    }
  }

  private void route(String rest, String query, PolicySet policy, Call call)
      throws ProxyException {
    int slash = rest.indexOf('/');
    String name = slash < 0 ? rest : rest.substring(0, slash);
    String remainder = slash < 0 ? "" : rest.substring(slash);
    if (!Names.isValid(name)) {
      throw ErrorCode.UNKNOWN_ROUTE.exception("'" + printable(name) + "' is not a route name");
    }
    Route route = policy.route(name).orElseThrow(
        () -> ErrorCode.UNKNOWN_ROUTE.exception("the policy has no route '" + name + "'"));
    String path;
    try {
      path = Targets.normalizePath(remainder);
    } catch (BadTargetException e) {
      throw badTarget(e);
    }
    long maxBody = route.maxRequestBody(defaultMaxRequestBody);
    if (!route.routing().chained()) {
      call.resolved(Optional.of(route), Targets.under(route.upstream(), path, query),
          route.credentialId(), maxBody);
      return;
    }
    // One planned attempt per target, each with its own credential and URL.
    List<Attempt> plan = new ArrayList<>(route.routing().targets().size());
    for (RouteTarget target : route.routing().targets()) {
      plan.add(new Attempt(target, target.target(path, query)));
    }
    call.resolved(Optional.of(route), plan.get(0).target(), "", maxBody);
    call.plan(plan);
  }

  private void explicit(String rest, String query, String requestedCredential,
      PolicySet policy, Call call) throws ProxyException {
    Target target;
    try {
      target = Targets.parseExplicit(rest, query);
    } catch (BadTargetException e) {
      throw badTarget(e);
    }
    String credential;
    if (requestedCredential != null) {
      if (!Names.isValid(requestedCredential)) {
        throw ErrorCode.BAD_REQUEST.exception(CREDENTIAL_HEADER + " must be a credential id");
      }
      credential = requestedCredential;
    } else {
      PlatformToken token = call.token();
      CredentialChoice choice =
          policy.credentialsFor(token.agent(), token.tenant(), token.groups(), target.host());
      if (choice.candidates().isEmpty()) {
        call.resolved(Optional.empty(), target, "", defaultMaxRequestBody);
        throw ProxyException.denied(
            policy.noCredentialFor(token.agent(), token.tenant(), target.host()));
      }
      if (!choice.isUnique()) {
        throw ErrorCode.AMBIGUOUS_CREDENTIAL.exception("credentials " + choice.candidates()
            + " could all serve " + target.host() + "; name one in the " + CREDENTIAL_HEADER
            + " header");
      }
      credential = choice.only();
    }
    call.resolved(Optional.empty(), target, credential, defaultMaxRequestBody);
  }

  private static ProxyException badTarget(BadTargetException e) {
    ErrorCode code = Targets.BAD_TARGET.equals(e.code()) ? ErrorCode.BAD_TARGET : ErrorCode.BAD_PATH;
    return code.exception(e.getMessage());
  }

  private static String printable(String text) {
    String cleaned = text.replaceAll("[^A-Za-z0-9._~%-]", "?");
    return cleaned.length() > 64 ? cleaned.substring(0, 64) + "…" : cleaned;
  }
}
