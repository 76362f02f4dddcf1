package dev.keyward.proxy.budget;

import dev.keyward.llm.budget.WorstCase;
import dev.keyward.llm.budget.Window;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What one request holds in the counters until it is settled: the windows it was counted in (a
 * settle after a reset still corrects the window it was reserved in) and how much.
 *
 * @param id unique per reservation, so a hold can be found, and settled, once
 * @param demand the worst case held in each money window and tokens-per-minute window
 */
public record Reservation(String id, Instant at, WorstCase demand, List<Hold> holds) {

  /** Nothing reserved: a request no budget applies to. */
  public static final Reservation NONE =
      new Reservation("none", Instant.EPOCH, WorstCase.UNMETERED, List.of());

  /**
   * One budget's part.
   *
   * @param moneyWindow present when the budget limits money: {@code demand.nanoUsd()} is held there
   * @param tokenMinute present when it limits tokens: {@code demand.tokens()} were counted there
   */
  public record Hold(String budget, String subject, Optional<Window> moneyWindow,
      Optional<Window> tokenMinute) {
    public Hold {
      Objects.requireNonNull(budget, "budget");
      Objects.requireNonNull(subject, "subject");
      Objects.requireNonNull(moneyWindow, "moneyWindow");
      Objects.requireNonNull(tokenMinute, "tokenMinute");
    }
  }

  public Reservation {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(demand, "demand");
    holds = List.copyOf(holds);
  }

  public boolean isEmpty() {
    return holds.isEmpty();
  }
}
