package dev.keyward.proxy.stage;

import dev.keyward.policies.Decision;
import dev.keyward.policies.DecisionRequest;
import dev.keyward.policies.PolicySet;
import dev.keyward.proxy.error.ProxyException;
import dev.keyward.token.PlatformToken;

/** Stage 3: asks the policy. A denial ends the request before any credential is touched. */
public final class Authorize {

  public Decision apply(PolicySet policy, Exchange exchange) throws ProxyException {
    PlatformToken token = exchange.token();
    Decision decision = policy.decide(new DecisionRequest(token.agent(), token.tenant(),
        token.groups(), exchange.credentialId(), exchange.target(), exchange.method()));
    exchange.decision(decision);
    if (!decision.allowed()) {
      throw ProxyException.denied(decision);
    }
    return decision;
  }
}
