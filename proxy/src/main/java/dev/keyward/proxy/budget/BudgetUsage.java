package dev.keyward.proxy.budget;

import dev.keyward.llm.budget.Window;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One subject's use of one budget now, for {@code keyward usage} and the admin API.
 *
 * @param moneyWindow the current money window (its end is the reset), when money is limited
 * @param spentNanoUsd settled spend in that window, holds charged at the end of their lease included
 * @param heldNanoUsd reserved by calls still running
 * @param requestsThisMinute requests started in the current UTC minute
 * @param tokensThisMinute tokens of the requests started in the current UTC minute
 */
public record BudgetUsage(String budget, String subject, Optional<Window> moneyWindow,
    OptionalLong limitNanoUsd, long spentNanoUsd, long heldNanoUsd,
    OptionalLong requestsPerMinute, long requestsThisMinute, OptionalLong tokensPerMinute,
    long tokensThisMinute) {}
