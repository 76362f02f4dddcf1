package dev.keyward.llm.budget;

/**
 * What a budget's counters for one subject hold at the moment of a check.
 *
 * @param spentNanoUsd settled spend in the money window (and holds whose lease ended)
 * @param heldNanoUsd reservations not yet settled
 * @param requests requests started this minute
 * @param tokens tokens reserved or settled for requests started this minute
 */
public record CounterState(long spentNanoUsd, long heldNanoUsd, long requests, long tokens) {

  public static final CounterState EMPTY = new CounterState(0, 0, 0, 0);
}
