package dev.keyward.proxy.stage;

import dev.keyward.llm.LlmRequest;
import dev.keyward.llm.PriceTable;
import dev.keyward.llm.budget.Charge;
import dev.keyward.llm.budget.Refusal;
import dev.keyward.llm.budget.WorstCase;
import dev.keyward.policies.ApplicableBudget;
import dev.keyward.policies.Decision;
import dev.keyward.policies.DenyCode;
import dev.keyward.policies.LlmRoute;
import dev.keyward.policies.Route;
import dev.keyward.proxy.budget.BudgetDecision;
import dev.keyward.proxy.budget.BudgetGate;
import dev.keyward.proxy.budget.Reservation;
import dev.keyward.proxy.call.Attempt;
import dev.keyward.proxy.call.Call;
import dev.keyward.proxy.call.Interceptor;
import dev.keyward.proxy.call.Outcome;
import dev.keyward.proxy.error.ProxyError;
import dev.keyward.proxy.error.ProxyException;
import dev.keyward.token.PlatformToken;
import io.vertx.core.Future;
import java.util.List;
import java.util.Map;

/**
 * Budgets on the request path. Just before an attempt goes upstream (every other check has
 * passed, the key is not yet unsealed) it reserves the attempt's worst case against every budget
 * that applies to the attempt's credential, atomically; an attempt that does not fit is refused
 * with {@code 429 budget_exceeded} or {@code rate_limited} and {@code Retry-After}, and one whose
 * counters cannot be reached with {@code 503 budget_unavailable} (unless its budgets say {@code
 * on_store_failure: allow}). On a route with targets that refusal skips the target, which the
 * audit records, and the next is tried. An admitted stream is capped at the output it reserved.
 * Each attempt's reservation is settled once: an attempt that did not answer when it ends, the one
 * that answered when the call ends (after the LLM interceptor metered it: this one comes before
 * it in the chain).
 */
public final class ReserveAndSettle implements Interceptor {

  private final BudgetGate gate;
  private final PriceTable prices;

  public ReserveAndSettle(BudgetGate gate, PriceTable prices) {
    this.gate = gate;
    this.prices = prices;
  }

  @Override
  public Future<Void> onAttempt(Call call, Attempt attempt) {
    if (call.policy().budgets().isEmpty()) {
      return CONTINUE;
    }
    PlatformToken token = call.token();
    List<ApplicableBudget> budgets = call.policy().budgetsFor(token.agent(), token.tenant(),
        token.groups(), attempt.credentialId());
    if (budgets.isEmpty()) {
      return CONTINUE;
    }
    WorstCase demand = worstCase(call, attempt);
    return gate.reserve(budgets, demand).compose(decision -> {
      attempt.budget(decision);
      return act(call, attempt, decision, demand);
    });
  }

  private WorstCase worstCase(Call call, Attempt attempt) {
    LlmRequest request = call.llmRequest();
    if (request == null) {
      return WorstCase.UNMETERED;
    }
    long defaultCap = call.route().map(Route::llm).map(LlmRoute::maxOutputTokens)
        .orElse(LlmRoute.DEFAULT_MAX_OUTPUT_TOKENS);
    String model = attempt.model() != null ? attempt.model() : call.model();
    return WorstCase.of(prices, model, request.inputTokenEstimate(),
        request.maxOutputTokens(), defaultCap);
  }

  private static Future<Void> act(Call call, Attempt attempt, BudgetDecision decision,
      WorstCase demand) {
    String credential = attempt.credentialId();
    if (decision instanceof BudgetDecision.Admitted admitted) {
      capOutput(call, attempt, admitted.reservation(), demand);
      return CONTINUE;
    }
    if (decision instanceof BudgetDecision.Refused refused) {
      Refusal refusal = refused.refusal();
      DenyCode code = DenyCode.of(refusal.errorCode()).orElseThrow();
      return Future.failedFuture(ProxyException.denied(
          Decision.budgetDenial(code, credential, refusal.budget(), refusal.message()),
          Map.of("Retry-After", Long.toString(refusal.retryAfterSeconds()))));
    }
    if (decision instanceof BudgetDecision.Unavailable unavailable) {
      String names = String.join(", ", unavailable.budgets());
      return Future.failedFuture(ProxyException.denied(Decision.budgetDenial(
          DenyCode.BUDGET_UNAVAILABLE, credential, names, unavailable.reason()
              + "; budgets " + names + " refuse calls they cannot count"
              + " (on_store_failure: deny)")));
    }
    return CONTINUE; // allowed uncounted
  }

  /**
   * Caps a streamed answer at the output reserved for it, when the reservation counts money or
   * tokens and the request set no cap of its own (the route's {@code max_output_tokens} was
   * reserved instead). A request's own cap is the provider's to enforce; a budget with only a
   * request rate holds no output to pass.
   */
  private static void capOutput(Call call, Attempt attempt, Reservation reservation,
      WorstCase demand) {
    if (call.llmRequest() == null || call.llmRequest().maxOutputTokens().isPresent()) {
      return;
    }
    List<String> counting = reservation.holds().stream()
        .filter(hold -> hold.moneyWindow().isPresent() || hold.tokenMinute().isPresent())
        .map(Reservation.Hold::budget).distinct().toList();
    if (!counting.isEmpty()) {
      attempt.capOutput(demand.outputTokens(), new ProxyError(DenyCode.BUDGET_EXCEEDED.status(),
          DenyCode.BUDGET_EXCEEDED.code(), "the answer passed the " + demand.outputTokens()
              + " output tokens reserved for it by budget " + String.join(", ", counting)
              + " (the route's max_output_tokens, as the request set no max_tokens); set"
              + " max_tokens to reserve what the answer needs"));
    }
  }

  /** An attempt of a route with targets that did not answer: its reservation is settled now. */
  @Override
  public void onAttemptEnd(Call call, Attempt attempt) {
    settle(call, attempt, false);
  }

  @Override
  public void onEnd(Call call, Outcome outcome) {
    Attempt attempt = call.attempt();
    if (attempt != null) {
      settle(call, attempt, outcome.failure().isPresent());
    }
  }

  /**
   * Settles what the attempt was metered at: the usage priced by the LLM interceptor (an estimate
   * for a cut stream, never free). An attempt that never reached the upstream, or whose upstream
   * answered with an error (providers do not bill those), gives its reservation back. The worst
   * case is charged where the provider may have billed more than was metered: the upstream went
   * silent after the request was sent, or it answered a whole body (not a stream: generated in
   * full before its head arrived) that failed on its way to the agent ({@code failed}).
   */
  private void settle(Call call, Attempt attempt, boolean failed) {
    BudgetDecision decision = attempt.budget();
    if (!(decision instanceof BudgetDecision.Admitted admitted)) {
      return;
    }
    WorstCase demand = admitted.reservation().demand();
    Charge worstCase = new Charge(demand.nanoUsd(), demand.tokens());
    if (attempt.answered() && call.usage() != null) {
      Charge metered = Charge.of(call.cost(), call.usage());
      boolean wholeBodyLost = failed && !call.meter().eventStream()
          && attempt.upstreamStatus() / 100 == 2;
      gate.settle(decision, wholeBodyLost ? Charge.larger(metered, worstCase) : metered);
    } else if (attempt.sentUpstream() && attempt.upstreamStatus() == 0
        && call.llmRequest() != null) {
      gate.settle(decision, worstCase);
    } else {
      gate.release(decision);
    }
  }
}
