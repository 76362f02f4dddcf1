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
import java.util.TreeMap;

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
 */
final class BudgetLedger implements AutoCloseable {

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
  }

  private final LedgerFiles files;
  private final Clock clock;
  private final Duration holdLease;
  private final BudgetCounters counts;
  private final Map<String, Counter> counters = new HashMap<>();
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
  static BudgetLedger open(Path dir, Clock clock, Duration holdLease, BudgetCounters counts)
      throws IOException {
    LedgerFiles files = LedgerFiles.open(dir);
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
    Map<String, Counter> touched = new LinkedHashMap<>();
    List<Refusal> refusals = new ArrayList<>();
    Window minute = Window.minuteAt(now);
    for (ApplicableBudget applicable : budgets) {
      String name = applicable.name();
      String subject = applicable.subject();
      BudgetLimits limits = applicable.budget().limits();
      Optional<Window> money = limits.moneyWindow(now);
      Counter spend = money.map(w -> counters.get(CounterKeys.money(name, subject, w))).orElse(null);
      if (spend != null && expireLeases(spend, now.toEpochMilli())) {
        touched.put(CounterKeys.money(name, subject, money.get()), spend);
      }
      Counter requests = counters.get(CounterKeys.requests(name, subject, minute));
      Counter tokens = counters.get(CounterKeys.tokens(name, subject, minute));
      CounterState state = new CounterState(spend == null ? 0 : spend.value,
          spend == null ? 0 : spend.held, requests == null ? 0 : requests.value,
          tokens == null ? 0 : tokens.value);
      refusals.addAll(BudgetCheck.check(name, subject, limits, state, demand, now));
    }
    if (!refusals.isEmpty()) {
      journal(touched);
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
        String key = CounterKeys.money(name, subject, money.get());
        Counter spend = counter(key, CounterKeys.moneyExpiry(money.get(), holdLease));
        spend.held += demand.nanoUsd();
        spend.holds.put(id, new long[] {demand.nanoUsd(), leaseEnd});
        touched.put(key, spend);
      }
      if (limits.requestsPerMinute().isPresent()) {
        String key = CounterKeys.requests(name, subject, minute);
        Counter requests = counter(key, CounterKeys.minuteExpiry(minute));
        requests.value++;
        touched.put(key, requests);
      }
      Optional<Window> tokenMinute = Optional.empty();
      if (limits.tokensPerMinute().isPresent()) {
        String key = CounterKeys.tokens(name, subject, minute);
        Counter tokens = counter(key, CounterKeys.minuteExpiry(minute));
        tokens.value = saturatingAdd(tokens.value, demand.tokens());
        touched.put(key, tokens);
        tokenMinute = Optional.of(minute);
      }
      holds.add(new Reservation.Hold(name, subject, money, tokenMinute));
    }
    journal(touched);
    return new Admission.Admitted(new Reservation(id, now, demand, holds));
  }

  synchronized void settle(Reservation reservation, Charge charge) throws IOException {
    Map<String, Counter> touched = new LinkedHashMap<>();
    WorstCase demand = reservation.demand();
    for (Reservation.Hold hold : reservation.holds()) {
      if (hold.moneyWindow().isPresent()) {
        String key = CounterKeys.money(hold.budget(), hold.subject(), hold.moneyWindow().get());
        Counter spend = counters.get(key);
        if (spend != null) {
          long[] held = spend.holds.remove(reservation.id());
          if (held != null) {
            spend.held -= held[0];
          }
          spend.value = Math.max(0, spend.value
              + Settlement.spendDelta(held != null, demand.nanoUsd(), charge.nanoUsd()));
          touched.put(key, spend);
        }
      }
      if (hold.tokenMinute().isPresent()) {
        String key = CounterKeys.tokens(hold.budget(), hold.subject(), hold.tokenMinute().get());
        Counter tokens = counters.get(key);
        if (tokens != null) {
          tokens.value = Math.max(0, tokens.value
              + Settlement.tokensDelta(demand.tokens(), charge.tokens()));
          touched.put(key, tokens);
        }
      }
    }
    journal(touched);
  }

  synchronized List<BudgetUsage> usage(List<Budget> budgets) throws IOException {
    Instant now = clock.instant();
    sweepIfDue(now);
    Window minute = Window.minuteAt(now);
    List<BudgetUsage> out = new ArrayList<>();
    for (Budget budget : budgets) {
      Optional<Window> money = budget.limits().moneyWindow(now);
      Map<String, long[]> bySubject = new TreeMap<>(); // spent, held, requests, tokens
      String prefix = budget.name() + ":";
      for (Map.Entry<String, Counter> entry : counters.entrySet()) {
        if (!entry.getKey().startsWith(prefix)) {
          continue;
        }
        String[] subjectAndWindow = CounterKeyParts.split(entry.getKey(), prefix);
        if (subjectAndWindow == null) {
          continue;
        }
        String window = subjectAndWindow[1];
        Counter c = entry.getValue();
        long[] row = null;
        if (money.isPresent() && window.equals(money.get().key())) {
          row = bySubject.computeIfAbsent(subjectAndWindow[0], k -> new long[4]);
          row[0] = c.value;
          row[1] = c.held;
        } else if (window.equals("rpm-" + minute.key())) {
          row = bySubject.computeIfAbsent(subjectAndWindow[0], k -> new long[4]);
          row[2] = c.value;
        } else if (window.equals("tpm-" + minute.key())) {
          row = bySubject.computeIfAbsent(subjectAndWindow[0], k -> new long[4]);
          row[3] = c.value;
        }
      }
      BudgetLimits limits = budget.limits();
      bySubject.forEach((subject, row) -> out.add(new BudgetUsage(budget.name(), subject, money,
          limits.nanoUsd(), row[0], row[1], limits.requestsPerMinute(), row[2],
          limits.tokensPerMinute(), row[3])));
    }
    return out;
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

  private Counter counter(String key, Instant expiresAt) {
    Counter c = counters.computeIfAbsent(key, k -> new Counter(expiresAt.toEpochMilli()));
    c.expiresAt = Math.max(c.expiresAt, expiresAt.toEpochMilli());
    return c;
  }

  /** Charges the holds whose lease ended; true when there was one. */
  private boolean expireLeases(Counter c, long nowMillis) {
    long expired = 0;
    for (Iterator<long[]> it = c.holds.values().iterator(); it.hasNext(); ) {
      long[] hold = it.next();
      if (hold[1] <= nowMillis) {
        c.held -= hold[0];
        c.value += hold[0];
        it.remove();
        expired++;
      }
    }
    counts.holdsExpired(expired);
    return expired > 0;
  }

  private void sweepIfDue(Instant now) throws IOException {
    if (now.isBefore(nextSweep)) {
      return;
    }
    nextSweep = now.plus(SWEEP_EVERY);
    long nowMillis = now.toEpochMilli();
    Map<String, Counter> touched = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, Counter>> it = counters.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Counter> entry = it.next();
      if (entry.getValue().expiresAt <= nowMillis) {
        it.remove();
      } else if (expireLeases(entry.getValue(), nowMillis)) {
        touched.put(entry.getKey(), entry.getValue());
      }
    }
    journal(touched);
  }

  private void journal(Map<String, Counter> touched) throws IOException {
    if (touched.isEmpty()) {
      return;
    }
    List<StoredCounter> changed = new ArrayList<>(touched.size());
    touched.forEach((key, c) -> changed.add(stored(key, c)));
    files.append(changed);
    unsynced = true;
    if (files.journalSize() > COMPACT_AT_BYTES) {
      files.compact(all());
      unsynced = false;
    }
  }

  private List<StoredCounter> all() {
    List<StoredCounter> all = new ArrayList<>(counters.size());
    counters.forEach((key, c) -> all.add(stored(key, c)));
    return all;
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
