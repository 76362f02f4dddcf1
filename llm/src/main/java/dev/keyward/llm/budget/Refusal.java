package dev.keyward.llm.budget;

import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.Objects;

/**
 * Why a budget refused a request, in the terms the agent's error body uses: the budget, its
 * limit, what is used of it, and when it resets. Never a key or a token.
 *
 * @param subject what the budget counted for, e.g. {@code tenant:acme}
 * @param limit nano-dollars for money, a count for requests and tokens; 0 for an unpriced model
 * @param used spent plus reserved (money), or requests or tokens this minute, before this request
 * @param requested what this request would have added
 * @param resetsAt when the window that refused ends
 * @param retryAfterSeconds {@code Retry-After}
 */
public record Refusal(String budget, String subject, LimitKind kind, long limit, long used,
    long requested, Instant resetsAt, long retryAfterSeconds) {

  /**
   * Of several refusals, the one whose wait is longest (retrying earlier would be refused again);
   * on a tie, a money refusal, which says more.
   */
  public static final Comparator<Refusal> MOST_BINDING = Comparator
      .comparing(Refusal::resetsAt)
      .thenComparing(r -> r.kind() == LimitKind.MONEY || r.kind() == LimitKind.UNPRICED_MODEL);

  public Refusal {
    Objects.requireNonNull(budget, "budget");
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(resetsAt, "resetsAt");
  }

  public static Refusal mostBinding(Collection<Refusal> refusals) {
    return refusals.stream().max(MOST_BINDING)
        .orElseThrow(() -> new IllegalArgumentException("no refusal"));
  }

  public String errorCode() {
    return kind.errorCode();
  }

  /** One sentence for the error body and the audit record. */
  public String message() {
    String who = "budget '" + budget + "' for " + subject;
    return switch (kind) {
      case MONEY -> requested > limit
          ? who + ": this request may cost up to " + Usd.format(requested) + ", more than the"
              + " whole limit of " + Usd.format(limit) + "; it cannot fit in any period: lower"
              + " its max_tokens"
          : who + ": " + Usd.format(used) + " of " + Usd.format(limit)
              + " spent or reserved this period; this request may cost up to "
              + Usd.format(requested) + "; resets at " + resetsAt;
      case UNPRICED_MODEL -> who + " limits spend, and this model has no price, so its cost"
          + " cannot be bounded; add the model to pricing.models";
      case REQUESTS -> who + ": " + used + " of " + limit + " requests this minute; resets at "
          + resetsAt;
      case TOKENS -> requested > limit
          ? who + ": this request may use up to " + requested + " tokens, more than the whole"
              + " limit of " + limit + " a minute; it cannot fit in any minute: lower its"
              + " max_tokens"
          : who + ": " + used + " of " + limit + " tokens this minute; this request may use up"
              + " to " + requested + "; resets at " + resetsAt;
    };
  }
}
