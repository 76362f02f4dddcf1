package dev.keyward.proxy.stage;

import dev.keyward.policies.Decision;
import dev.keyward.policies.DecisionRequest;
import dev.keyward.proxy.call.Call;
import dev.keyward.proxy.call.Interceptor;
import dev.keyward.proxy.error.ProxyException;
import dev.keyward.token.PlatformToken;
import io.vertx.core.Future;

/** Asks the policy. A denial ends the request before any credential is touched. */
public final class Authorize implements Interceptor {

  @Override
  public Future<Void> onRequest(Call call) {
    PlatformToken token = call.token();
    Decision decision = call.policy().decide(new DecisionRequest(token.agent(), token.tenant(),
        token.groups(), call.credentialId(), call.target(), call.method()));
    call.decision(decision);
    return decision.allowed() ? CONTINUE : Future.failedFuture(ProxyException.denied(decision));
  }
}
