package dev.keyward.proxy.stage;

import dev.keyward.policies.Decision;
import dev.keyward.policies.DecisionRequest;
import dev.keyward.proxy.call.Attempt;
import dev.keyward.proxy.call.Call;
import dev.keyward.proxy.call.Interceptor;
import dev.keyward.proxy.error.ProxyException;
import dev.keyward.token.PlatformToken;
import io.vertx.core.Future;
import java.util.List;

/**
 * Asks the policy. A denial ends the request before any credential is touched. On a route with
 * targets each target is decided on its own (its credential, its upstream): a denied one is
 * skipped when its turn comes, and only when every one is denied is the call refused, with the
 * first target's denial. A forward-proxy request that carries no placeholder names no
 * credential: it is decided as one sent without a key, still within the method and path limits
 * of the grants that make its host intercepted.
 */
public final class Authorize implements Interceptor {

  @Override
  public Future<Void> onRequest(Call call) {
    PlatformToken token = call.token();
    List<Attempt> plan = call.plan();
    if (plan != null) {
      return decideEach(call, token, plan);
    }
    Decision decision = call.forward() != null && call.credentialId().isEmpty()
        ? call.policy().decideWithoutKey(token.agent(), token.tenant(), token.groups(),
            call.target(), call.method())
        : call.policy().decide(new DecisionRequest(token.agent(), token.tenant(),
            token.groups(), call.credentialId(), call.target(), call.method()));
    call.decision(decision);
    return decision.allowed() ? CONTINUE : Future.failedFuture(ProxyException.denied(decision));
  }

  private static Future<Void> decideEach(Call call, PlatformToken token, List<Attempt> plan) {
    Decision firstAllowed = null;
    Decision firstDenied = null;
    for (Attempt attempt : plan) {
      Decision decision = call.policy().decide(new DecisionRequest(token.agent(),
          token.tenant(), token.groups(), attempt.credentialId(), attempt.target(),
          call.method()));
      attempt.decision(decision);
      if (decision.allowed()) {
        firstAllowed = firstAllowed == null ? decision : firstAllowed;
      } else {
        firstDenied = firstDenied == null ? decision : firstDenied;
        attempt.end(Attempt.Ending.SKIPPED, ProxyException.denied(decision));
      }
    }
    // The call's decision: the first target's that may go; the attempts keep their own.
    call.decision(firstAllowed != null ? firstAllowed : firstDenied);
    return firstAllowed != null ? CONTINUE
        : Future.failedFuture(ProxyException.denied(firstDenied));
  }
}
