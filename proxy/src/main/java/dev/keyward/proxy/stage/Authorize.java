package dev.keyward.proxy.stage;

import dev.keyward.policies.Decision;
import dev.keyward.policies.DecisionRequest;
import dev.keyward.proxy.call.Call;
import dev.keyward.proxy.call.Interceptor;
import dev.keyward.proxy.error.ProxyException;
import dev.keyward.token.PlatformToken;
import io.vertx.core.Future;

/**
 * Asks the policy. A denial ends the request before any credential is touched. A forward-proxy
 * request that carries no placeholder names no credential: it is decided as one sent without a
 * key, still within the method and path limits of the grants that make its host intercepted.
 */
public final class Authorize implements Interceptor {

  @Override
  public Future<Void> onRequest(Call call) {
    PlatformToken token = call.token();
    Decision decision = call.forward() != null && call.credentialId().isEmpty()
        ? call.policy().decideWithoutKey(token.agent(), token.tenant(), token.groups(),
            call.target(), call.method())
        : call.policy().decide(new DecisionRequest(token.agent(), token.tenant(),
            token.groups(), call.credentialId(), call.target(), call.method()));
    call.decision(decision);
    return decision.allowed() ? CONTINUE : Future.failedFuture(ProxyException.denied(decision));
  }
}
