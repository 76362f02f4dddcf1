package dev.keyward.proxy.budget;

/**
 * The budget counters could not be read or written (Redis unreachable or too slow, the data
 * directory not writable). Distinct from a refusal: the request fails closed with {@code 503
 * budget_unavailable} unless every budget that applies allows it on store failure.
 */
public final class BudgetStoreUnavailableException extends RuntimeException {

  public BudgetStoreUnavailableException(String message, Throwable cause) {
    super(message, cause, false, false);
  }
}
