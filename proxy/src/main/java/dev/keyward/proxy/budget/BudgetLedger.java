package dev.keyward.proxy.budget;

import dev.keyward.llm.budget.BudgetCheck;
import dev.keyward.llm.budget.BudgetLimits;
import dev.keyward.llm.budget.Charge;
import dev.keyward.llm.budget.CounterState;
import dev.keyward.llm.budget.Refusal;
import dev.keyward.llm.budget.Settlement;
import dev.keyward.llm.budget.Window;
import dev.keyward.llm.budget.WorstCase;
import dev.keyward.policies.ApplicableBudget;
import dev.keyward.policies.Budget;
import dev.keyward.proxy.budget.LedgerFiles.StoredCounter;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded store's counters: in memory, every change journaled to the data directory before
 * it is answered, so a restart (or a crash of the process) loses no spend. One lock makes
 * read-check-reserve atomic. Blocking (it writes files): {@link EmbeddedBudgetStore} runs it on
 * worker threads.
 *
 * <p>Memory stays bounded: a counter is dropped once its window has closed and its retention
 * passed ({@link CounterKeys}); a sweep runs at most once a minute.
 *
 * <p>Holds that are never settled: each has a lease ({@code holdLease}, longer than the longest
 * request). When it ends, the hold is charged in full, as {@link Settlement} explains. At start,
 * every hold in the files belongs to a process that is gone (one process owns the directory), so
 * all are charged at once.
 *
 * <p>Settling is idempotent: the id of every settled (or released) reservation is remembered for
 * a hold lease after the settle, journaled like a counter, so a second settle of it changes
 * nothing, even after a restart.
 */
final class BudgetLedger implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(BudgetLedger.class);

  /** The journal is folded into a new snapshot when it grows past this. */
  static final long COMPACT_AT_BYTES = 4L << 20;
  private static final Duration SWEEP_EVERY = Duration.ofMinutes(1);

  /** One counter: spend (or requests, or tokens) in one window, and the holds on it. */
  private static final class Counter {
    long value;
    long held;
    long expiresAt;
    /** Reservation id → {amount, lease end in epoch millis}; only money counters have holds. */
    final Map<String, long[]> holds = new LinkedHashMap<>();

    Counter(long expiresAt) {
      this.expiresAt = expiresAt;
    }

    Counter copy() {
      Counter c = new Counter(expiresAt);
      c.value = value;
      c.held = held;
      holds.forEach((id, hold) -> c.holds.put(id, hold.clone()));
      return c;
    }

    boolean hasLeaseEndedBy(long nowMillis) {
      for (long[] hold : holds.values()) {
        if (hold[1] <= nowMillis) {
          return true;
        }
      }
      return false;
    }
  }

  private final LedgerFiles files;
  private final Clock clock;
  private final Duration holdLease;
  private final BudgetCounters counts;
  private final Map<String, Counter> counters = new HashMap<>();
  /** Reservation id → when its settle may be forgotten (epoch millis). */
  private final Map<String, Long> settled = new HashMap<>();
  private final String idPrefix;
  private long nextId;
  private Instant nextSweep;
  private boolean unsynced;

  private BudgetLedger(LedgerFiles files, Clock clock, Duration holdLease, BudgetCounters counts) {
    this.files = files;
    this.clock = clock;
    this.holdLease = holdLease;
    this.counts = counts;
    this.idPrefix = Long.toString(new SecureRandom().nextLong() & Long.MAX_VALUE, 36) + "-";
    this.nextSweep = clock.instant();
  }

  /**
   * Opens the directory, replays what it holds, charges the holds of the previous process, and
   * writes a fresh snapshot.
   *
   * @throws IOException when the files cannot be read or written, or another process uses them
   */
  static BudgetLedger open(Path dir, Clock clock, Duration holdLease, BudgetCounters counts,
      LedgerFiles.JournalWriter writer) throws IOException {
    LedgerFiles files = LedgerFiles.open(dir, writer);
    try {
      BudgetLedger ledger = new BudgetLedger(files, clock, holdLease, counts);
      ledger.load(files.read());
      return ledger;
    } catch (IOException | RuntimeException e) {
      files.close();
      throw e;
    }
  }

  private void load(List<StoredCounter> stored) throws IOException {
    long now = clock.millis();
    long orphans = 0;
    for (StoredCounter s : stored) {
      if (CounterKeys.isSettled(s.key())) {
        if (s.expiresAtMillis() > now) {
          settled.put(CounterKeys.settledId(s.key()), s.expiresAtMillis());
        }
        continue;
      }
      Counter c = new Counter(s.expiresAtMillis());
      c.value = s.value();
      c.held = s.held();
      if (s.holds() != null) {
        s.holds().forEach((id, hold) -> c.holds.put(id, hold.clone()));
      }
      counters.put(s.key(), c);
    }
    for (Iterator<Counter> it = counters.values().iterator(); it.hasNext(); ) {
      Counter c = it.next();
      for (long[] hold : c.holds.values()) {
        c.value += hold[0];
        c.held -= hold[0];
        orphans++;
      }
      c.holds.clear();
      if (c.expiresAt <= now) {
        it.remove();
      }
    }
    counts.holdsExpired(orphans);
    files.compact(all());
  }

  synchronized Admission reserve(List<ApplicableBudget> budgets, WorstCase demand)
      throws IOException {
    Instant now = clock.instant();
    sweepIfDue(now);
    Change change = new Change();
    List<Refusal> refusals = new ArrayList<>();
    Window minute = Window.minuteAt(now);
    for (ApplicableBudget applicable : budgets) {
      String name = applicable.name();
      String subject = applicable.subject();
      BudgetLimits limits = applicable.budget().limits();
      Optional<Window> money = limits.moneyWindow(now);
      Counter spend = null;
      if (money.isPresent()) {
        String key = CounterKeys.money(name, subject, money.get());
        spend = change.read(key);
        if (spend != null && spend.hasLeaseEndedBy(now.toEpochMilli())) {
          spend = change.edit(key, spend.expiresAt);
          change.expireLeases(spend, now.toEpochMilli());
        }
      }
      Counter requests = change.read(CounterKeys.requests(name, subject, minute));
      Counter tokens = change.read(CounterKeys.tokens(name, subject, minute));
      CounterState state = new CounterState(spend == null ? 0 : spend.value,
          spend == null ? 0 : spend.held, requests == null ? 0 : requests.value,
          tokens == null ? 0 : tokens.value);
      refusals.addAll(BudgetCheck.check(name, subject, limits, state, demand, now));
    }
    if (!refusals.isEmpty()) {
      change.commit();
      return new Admission.Refused(Refusal.mostBinding(refusals));
    }
    String id = idPrefix + Long.toString(nextId++, 36);
    long leaseEnd = now.plus(holdLease).toEpochMilli();
    List<Reservation.Hold> holds = new ArrayList<>(budgets.size());
    for (ApplicableBudget applicable : budgets) {
      String name = applicable.name();
      String subject = applicable.subject();
      BudgetLimits limits = applicable.budget().limits();
      Optional<Window> money = limits.moneyWindow(now);
      if (money.isPresent()) {
        Counter spend = change.edit(CounterKeys.money(name, subject, money.get()),
            CounterKeys.moneyExpiry(money.get(), holdLease).toEpochMilli());
        spend.held += demand.nanoUsd();
        spend.holds.put(id, new long[] {demand.nanoUsd(), leaseEnd});
      }
      long minuteExpiry = CounterKeys.minuteExpiry(minute).toEpochMilli();
      if (limits.requestsPerMinute().isPresent()) {
        change.edit(CounterKeys.requests(name, subject, minute), minuteExpiry).value++;
      }
      Optional<Window> tokenMinute = Optional.empty();
      if (limits.tokensPerMinute().isPresent()) {
        Counter tokens = change.edit(CounterKeys.tokens(name, subject, minute), minuteExpiry);
        tokens.value = saturatingAdd(tokens.value, demand.tokens());
        tokenMinute = Optional.of(minute);
      }
      holds.add(new Reservation.Hold(name, subject, money, tokenMinute));
    }
    change.commit();
    return new Admission.Admitted(new Reservation(id, now, demand, holds));
  }

  synchronized void settle(Reservation reservation, Charge charge) throws IOException {
    long now = clock.millis();
    Long settledUntil = settled.get(reservation.id());
    if (settledUntil != null && settledUntil > now) {
      return;
    }
    Change change = new Change();
    change.settled(reservation.id(), now + holdLease.toMillis());
    WorstCase demand = reservation.demand();
    for (Reservation.Hold hold : reservation.holds()) {
      if (hold.moneyWindow().isPresent()) {
        String key = CounterKeys.money(hold.budget(), hold.subject(), hold.moneyWindow().get());
        Counter spend = change.editExisting(key);
        if (spend != null) {
          long[] held = spend.holds.remove(reservation.id());
          if (held != null) {
            spend.held -= held[0];
          }
          spend.value = Math.max(0, spend.value
              + Settlement.spendDelta(held != null, demand.nanoUsd(), charge.nanoUsd()));
        }
      }
      if (hold.tokenMinute().isPresent()) {
        Counter tokens = change.editExisting(
            CounterKeys.tokens(hold.budget(), hold.subject(), hold.tokenMinute().get()));
        if (tokens != null) {
          tokens.value = Math.max(0, tokens.value
              + Settlement.tokensDelta(demand.tokens(), charge.tokens()));
        }
      }
    }
    change.commit();
  }

  synchronized List<BudgetUsage> usage(List<Budget> budgets) throws IOException {
    Instant now = clock.instant();
    sweepIfDue(now);
    UsageTable table = new UsageTable(budgets, now);
    counters.forEach((key, c) -> {
      UsageTable.Cell cell = table.cell(key);
      if (cell != null) {
        table.put(cell, c.value, c.held);
      }
    });
    return table.rows();
  }

  /** Forces the journal to the disk (a power loss then keeps it too). */
  synchronized void sync() throws IOException {
    if (unsynced) {
      files.sync();
      unsynced = false;
    }
  }

  synchronized int counterCount() {
    return counters.size();
  }

  synchronized int settledCount() {
    return settled.size();
  }

  /** Writes a last snapshot and lets go of the directory. */
  @Override
  public synchronized void close() throws IOException {
    try {
      files.compact(all());
    } finally {
      files.close();
    }
  }

  /**
   * Lets go of the files as a killed process would: no last snapshot, the journal as written.
   * For tests of what a crash keeps.
   */
  synchronized void abandonForTest() throws IOException {
    files.close();
  }

  private void sweepIfDue(Instant now) throws IOException {
    if (now.isBefore(nextSweep)) {
      return;
    }
    nextSweep = now.plus(SWEEP_EVERY);
    long nowMillis = now.toEpochMilli();
    counters.values().removeIf(c -> c.expiresAt <= nowMillis);
    settled.values().removeIf(until -> until <= nowMillis);
    Change change = new Change();
    for (Map.Entry<String, Counter> entry : counters.entrySet()) {
      if (entry.getValue().hasLeaseEndedBy(nowMillis)) {
        change.expireLeases(change.edit(entry.getKey(), entry.getValue().expiresAt), nowMillis);
      }
    }
    change.commit();
  }

  /**
   * One change to the counters: edited copies of the counters it touches, journaled and only then
   * swapped in. A change whose journal write fails leaves memory as it was, so what the process
   * answered and what a restart finds never disagree.
   */
  private final class Change {
    private final Map<String, Counter> staged = new LinkedHashMap<>();
    private long expiredHolds;
    private String settledId;
    private long settledUntil;

    /** The counter as this change sees it; not to be modified. */
    Counter read(String key) {
      Counter c = staged.get(key);
      return c != null ? c : counters.get(key);
    }

    /** A copy to modify, created when missing, living at least until {@code expiresAt}. */
    Counter edit(String key, long expiresAt) {
      Counter c = staged.computeIfAbsent(key, k -> {
        Counter live = counters.get(k);
        return live == null ? new Counter(expiresAt) : live.copy();
      });
      c.expiresAt = Math.max(c.expiresAt, expiresAt);
      return c;
    }

    /** A copy to modify, or null when the counter is gone (its window expired). */
    Counter editExisting(String key) {
      Counter live = read(key);
      return live == null ? null : edit(key, live.expiresAt);
    }

    /** Remembers that reservation {@code id} is settled, until {@code until}. */
    void settled(String id, long until) {
      settledId = id;
      settledUntil = until;
    }

    /** Charges the holds of {@code c} (a staged copy) whose lease ended. */
    void expireLeases(Counter c, long nowMillis) {
      for (Iterator<long[]> it = c.holds.values().iterator(); it.hasNext(); ) {
        long[] hold = it.next();
        if (hold[1] <= nowMillis) {
          c.held -= hold[0];
          c.value += hold[0];
          it.remove();
          expiredHolds++;
        }
      }
    }

    void commit() throws IOException {
      if (staged.isEmpty() && settledId == null) {
        return;
      }
      List<StoredCounter> changed = new ArrayList<>(staged.size() + 1);
      staged.forEach((key, c) -> changed.add(stored(key, c)));
      if (settledId != null) {
        changed.add(settledMarker(settledId, settledUntil));
      }
      files.append(changed);
      counters.putAll(staged);
      if (settledId != null) {
        settled.put(settledId, settledUntil);
      }
      counts.holdsExpired(expiredHolds);
      unsynced = true;
      if (files.journalSize() > COMPACT_AT_BYTES) {
        try {
          files.compact(all());
          unsynced = false;
        } catch (IOException e) {
          LOG.warn("cannot fold the budget journal into a snapshot; will try again: {}",
              e.getMessage());
        }
      }
    }
  }

  private List<StoredCounter> all() {
    List<StoredCounter> all = new ArrayList<>(counters.size() + settled.size());
    counters.forEach((key, c) -> all.add(stored(key, c)));
    settled.forEach((id, until) -> all.add(settledMarker(id, until)));
    return all;
  }

  private static StoredCounter settledMarker(String id, long until) {
    return new StoredCounter(CounterKeys.settled(id), 0, 0, until, Map.of());
  }

  private static StoredCounter stored(String key, Counter c) {
    Map<String, long[]> holds = new LinkedHashMap<>();
    c.holds.forEach((id, hold) -> holds.put(id, hold.clone()));
    return new StoredCounter(key, c.value, c.held, c.expiresAt, holds);
  }

  private static long saturatingAdd(long a, long b) {
    long sum = a + b;
    return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
  }
}
