package dev.keyward.proxy.budget;

import dev.keyward.llm.budget.Settlement;
import dev.keyward.proxy.budget.LedgerFiles.StoredCounter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The embedded store's counters in memory, and the only changes made to them. Each change is one
 * of the methods below, called with the same arguments when it is made and when the journal is
 * replayed ({@link JournalLine}), so a replay reaches the state the process had. Not thread-safe:
 * one thread owns it ({@link EmbeddedBudgetStore}).
 *
 * <p>Besides the counters it keeps the open reservations: admitted, not yet settled nor released,
 * each until it can no longer be settled ({@code forgetAt}). A settle of a reservation that is not
 * open changes nothing: that is what makes settling idempotent, and the table holds one entry per
 * call in flight (plus the few whose settle was lost), not one per call made.
 */
final class CounterTable {

  /** One counter: spend (or requests, or tokens) in one window, and the holds on it. */
  static final class Counter {
    long value;
    long held;
    long expiresAt;
    /** No hold's lease ends before this; may be early (a hold since settled), never late. */
    long earliestLeaseEnd = Long.MAX_VALUE;
    /** Reservation id → {amount, lease end in epoch millis}; only money counters have holds. */
    final Map<String, long[]> holds = new HashMap<>();

    Counter(long expiresAt) {
      this.expiresAt = expiresAt;
    }
  }

  private final Map<String, Counter> counters = new HashMap<>();
  /** Open reservation id → when it may be forgotten (epoch millis). */
  private final Map<String, Long> open = new HashMap<>();

  Counter get(String key) {
    return counters.get(key);
  }

  Map<String, Counter> counters() {
    return counters;
  }

  int openCount() {
    return open.size();
  }

  /** Reservation {@code id} is admitted; it can be settled until {@code forgetAt}. */
  void open(String id, long forgetAt) {
    open.put(id, forgetAt);
  }

  /** Reservation {@code id} is settled or released; false when it was not open. */
  boolean close(String id) {
    return open.remove(id) != null;
  }

  /** Holds {@code amount} for reservation {@code id} in a money counter until {@code leaseEnd}. */
  void hold(String key, long expiresAt, String id, long amount, long leaseEnd) {
    Counter c = counter(key, expiresAt);
    c.held += amount;
    c.holds.put(id, new long[] {amount, leaseEnd});
    c.earliestLeaseEnd = Math.min(c.earliestLeaseEnd, leaseEnd);
  }

  /** Adds to a request or token counter, saturating. */
  void count(String key, long expiresAt, long delta) {
    Counter c = counter(key, expiresAt);
    c.value = saturatingAdd(c.value, delta);
  }

  /**
   * Replaces reservation {@code id}'s hold in a money counter by {@code actual}, or corrects the
   * full charge made when its lease ended ({@link Settlement#spendDelta}).
   *
   * @return false when the counter is gone (its window expired): nothing changed
   */
  boolean settleMoney(String key, String id, long reserved, long actual) {
    Counter c = counters.get(key);
    if (c == null) {
      return false;
    }
    long[] hold = c.holds.remove(id);
    if (hold != null) {
      c.held -= hold[0];
    }
    c.value = Math.max(0, c.value + Settlement.spendDelta(hold != null, reserved, actual));
    return true;
  }

  /** Corrects a counter, never below zero; false when it is gone. */
  boolean adjust(String key, long delta) {
    Counter c = counters.get(key);
    if (c == null) {
      return false;
    }
    c.value = Math.max(0, c.value + delta);
    return true;
  }

  /** Charges the hold of reservation {@code id} in full (its lease ended); false if none. */
  boolean expire(String key, String id) {
    Counter c = counters.get(key);
    long[] hold = c == null ? null : c.holds.remove(id);
    if (hold == null) {
      return false;
    }
    c.held -= hold[0];
    c.value += hold[0];
    return true;
  }

  /** The holds of {@code c} whose lease ended by {@code nowMillis}; refreshes its earliest end. */
  static List<String> endedLeases(Counter c, long nowMillis) {
    if (c.earliestLeaseEnd > nowMillis) {
      return List.of();
    }
    List<String> ended = new ArrayList<>();
    long earliest = Long.MAX_VALUE;
    for (Map.Entry<String, long[]> hold : c.holds.entrySet()) {
      long leaseEnd = hold.getValue()[1];
      if (leaseEnd <= nowMillis) {
        ended.add(hold.getKey());
      } else {
        earliest = Math.min(earliest, leaseEnd);
      }
    }
    c.earliestLeaseEnd = earliest;
    return ended;
  }

  /** Drops counters whose window and retention passed, and reservations no longer settleable. */
  void dropExpired(long nowMillis) {
    counters.values().removeIf(c -> c.expiresAt <= nowMillis);
    open.values().removeIf(forgetAt -> forgetAt <= nowMillis);
  }

  /**
   * Charges every hold in full: at start, they belong to a process that is gone.
   *
   * @return how many
   */
  long chargeAllHolds() {
    long charged = 0;
    for (Counter c : counters.values()) {
      for (long[] hold : c.holds.values()) {
        c.value += hold[0];
        c.held -= hold[0];
        charged++;
      }
      c.holds.clear();
      c.earliestLeaseEnd = Long.MAX_VALUE;
    }
    return charged;
  }

  /** Sets a counter to a stored state (a snapshot, or a journal line of the first format). */
  void restore(StoredCounter s) {
    Counter c = new Counter(s.expiresAtMillis());
    c.value = s.value();
    c.held = s.held();
    if (s.holds() != null) {
      s.holds().forEach((id, hold) -> {
        c.holds.put(id, hold.clone());
        c.earliestLeaseEnd = Math.min(c.earliestLeaseEnd, hold[1]);
      });
    }
    counters.put(s.key(), c);
  }

  List<StoredCounter> stored() {
    List<StoredCounter> all = new ArrayList<>(counters.size());
    counters.forEach((key, c) -> {
      Map<String, long[]> holds = new TreeMap<>();
      c.holds.forEach((id, hold) -> holds.put(id, hold.clone()));
      all.add(new StoredCounter(key, c.value, c.held, c.expiresAt, holds));
    });
    return all;
  }

  Map<String, Long> openReservations() {
    return new TreeMap<>(open);
  }

  /** Every counter, hold and open reservation, in order: equal tables give equal text. */
  String describe() {
    StringBuilder out = new StringBuilder();
    new TreeMap<>(counters).forEach((key, c) -> {
      out.append(key).append(" value=").append(c.value).append(" held=").append(c.held)
          .append(" expires=").append(c.expiresAt);
      new TreeMap<>(c.holds).forEach((id, hold) -> out.append(" hold ").append(id).append('=')
          .append(hold[0]).append('@').append(hold[1]));
      out.append('\n');
    });
    openReservations().forEach((id, until) -> out.append("open ").append(id).append(" until ")
        .append(until).append('\n'));
    return out.toString();
  }

  private Counter counter(String key, long expiresAt) {
    Counter c = counters.get(key);
    if (c == null) {
      c = new Counter(expiresAt);
      counters.put(key, c);
    } else if (c.expiresAt < expiresAt) {
      c.expiresAt = expiresAt;
    }
    return c;
  }

  static long saturatingAdd(long a, long b) {
    long sum = a + b;
    return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
  }
}
