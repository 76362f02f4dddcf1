package dev.keyward.proxy.budget;

import dev.keyward.llm.budget.BudgetLimits;
import dev.keyward.llm.budget.Window;
import dev.keyward.policies.Budget;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Collects the current counters of some budgets per subject into {@link BudgetUsage} rows: the
 * money window holding now, and this minute's requests and tokens. Older windows, and budgets not
 * asked for, are left out. A store walks its counters once, whatever the number of budgets.
 */
final class UsageTable {

  enum Column { MONEY, REQUESTS, TOKENS }

  /** One budget's windows now, and its rows: subject → {spent, held, requests, tokens}. */
  private static final class Of {
    final Budget budget;
    final Optional<Window> money;
    final Map<String, long[]> rows = new TreeMap<>();

    Of(Budget budget, Instant now) {
      this.budget = budget;
      this.money = budget.limits().moneyWindow(now);
    }
  }

  /** By budget name, in the order asked for. */
  private final Map<String, Of> budgets = new LinkedHashMap<>();
  private final Window minute;

  UsageTable(List<Budget> budgets, Instant now) {
    budgets.forEach(b -> this.budgets.put(b.name(), new Of(b, now)));
    this.minute = Window.minuteAt(now);
  }

  /**
   * The prefix every counter key of these budgets starts with: the budget's own for one budget,
   * else none (every budget key).
   */
  String prefix() {
    return budgets.size() == 1 ? budgets.keySet().iterator().next() + ":" : "";
  }

  /**
   * The budget, subject and column a counter key (without any store prefix) feeds, or null for a
   * key of another budget or of an older window.
   */
  Cell cell(String key) {
    int colon = key.indexOf(':');
    Of of = colon < 0 ? null : budgets.get(key.substring(0, colon));
    if (of == null) {
      return null;
    }
    String[] parts = CounterKeyParts.split(key, key.substring(0, colon + 1));
    if (parts == null) {
      return null;
    }
    if (of.money.isPresent() && parts[1].equals(of.money.get().key())) {
      return new Cell(of, parts[0], Column.MONEY);
    }
    if (parts[1].equals("rpm-" + minute.key())) {
      return new Cell(of, parts[0], Column.REQUESTS);
    }
    if (parts[1].equals("tpm-" + minute.key())) {
      return new Cell(of, parts[0], Column.TOKENS);
    }
    return null;
  }

  /** Where one counter goes. */
  static final class Cell {
    private final Of of;
    private final String subject;
    private final Column column;

    private Cell(Of of, String subject, Column column) {
      this.of = of;
      this.subject = subject;
      this.column = column;
    }

    Column column() {
      return column;
    }
  }

  /** Records a value; {@code held} only counts for {@link Column#MONEY}. */
  void put(Cell cell, long value, long held) {
    long[] row = cell.of.rows.computeIfAbsent(cell.subject, s -> new long[4]);
    switch (cell.column) {
      case MONEY -> {
        row[0] = value;
        row[1] = held;
      }
      case REQUESTS -> row[2] = value;
      case TOKENS -> row[3] = value;
    }
  }

  /** Budget by budget as asked for, subjects sorted within each. */
  List<BudgetUsage> rows() {
    List<BudgetUsage> out = new ArrayList<>();
    for (Of of : budgets.values()) {
      BudgetLimits limits = of.budget.limits();
      of.rows.forEach((subject, row) -> out.add(new BudgetUsage(of.budget.name(), subject,
          of.money, limits.nanoUsd(), row[0], row[1], limits.requestsPerMinute(), row[2],
          limits.tokensPerMinute(), row[3])));
    }
    return out;
  }
}
