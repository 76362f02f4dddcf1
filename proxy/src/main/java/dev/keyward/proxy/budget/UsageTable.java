package dev.keyward.proxy.budget;

import dev.keyward.llm.budget.BudgetLimits;
import dev.keyward.llm.budget.Window;
import dev.keyward.policies.Budget;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Collects one budget's current counters per subject into {@link BudgetUsage} rows: the money
 * window holding now, and this minute's requests and tokens. Older windows are left out.
 */
final class UsageTable {

  enum Column { MONEY, REQUESTS, TOKENS }

  private final Budget budget;
  private final String prefix;
  private final Optional<Window> money;
  private final Window minute;
  /** Subject → {spent, held, requests, tokens}, sorted by subject. */
  private final Map<String, long[]> rows = new TreeMap<>();

  UsageTable(Budget budget, Instant now) {
    this.budget = budget;
    this.prefix = budget.name() + ":";
    this.money = budget.limits().moneyWindow(now);
    this.minute = Window.minuteAt(now);
  }

  /** The prefix of this budget's counter keys. */
  String prefix() {
    return prefix;
  }

  /**
   * The subject and column a counter key (without any store prefix) feeds, or null for a key of
   * another budget or of an older window.
   */
  Cell cell(String key) {
    String[] parts = CounterKeyParts.split(key, prefix);
    if (parts == null) {
      return null;
    }
    if (money.isPresent() && parts[1].equals(money.get().key())) {
      return new Cell(parts[0], Column.MONEY);
    }
    if (parts[1].equals("rpm-" + minute.key())) {
      return new Cell(parts[0], Column.REQUESTS);
    }
    if (parts[1].equals("tpm-" + minute.key())) {
      return new Cell(parts[0], Column.TOKENS);
    }
    return null;
  }

  record Cell(String subject, Column column) {}

  /** Records a value; {@code held} only counts for {@link Column#MONEY}. */
  void put(Cell cell, long value, long held) {
    long[] row = rows.computeIfAbsent(cell.subject(), s -> new long[4]);
    switch (cell.column()) {
      case MONEY -> {
        row[0] = value;
        row[1] = held;
      }
      case REQUESTS -> row[2] = value;
      case TOKENS -> row[3] = value;
    }
  }

  List<BudgetUsage> rows() {
    BudgetLimits limits = budget.limits();
    List<BudgetUsage> out = new ArrayList<>(rows.size());
    rows.forEach((subject, row) -> out.add(new BudgetUsage(budget.name(), subject, money,
        limits.nanoUsd(), row[0], row[1], limits.requestsPerMinute(), row[2],
        limits.tokensPerMinute(), row[3])));
    return out;
  }
}
