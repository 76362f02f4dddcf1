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
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded store's decisions over its {@link CounterTable}, and the journal of their changes.
 * Single-threaded, with no lock: one thread owns it ({@link EmbeddedBudgetStore}), so
 * read-check-reserve is atomic because nothing else runs. A change is made in memory and its line
 * added to the pending batch; {@link #commit} writes the batch in one write, and only then are
 * its answers given, so a crash of the process loses nothing that was answered. When the write
 * fails, memory is read back from the files, which then hold exactly what was answered.
 *
 * <p>Memory stays bounded: a counter is dropped once its window has closed and its retention
 * passed ({@link CounterKeys}); a reservation is remembered only while it is open (admitted, not
 * settled), and at most until it can no longer be settled ({@link #forgetAfter}); a sweep runs at
 * most once a minute. The journal is folded into a snapshot at start, at close and every {@link
 * #COMPACT_AT_BYTES}, so a start-up replays at most that much.
 *
 * <p>Holds that are never settled: each has a lease ({@code holdLease}, longer than the longest
 * request). When it ends, the hold is charged in full, as {@link Settlement} explains. At start,
 * every hold in the files belongs to a process that is gone (one process owns the directory), so
 * all are charged at once.
 *
 * <p>Settling is idempotent: only an open reservation can be settled, and settling closes it, so
 * a second settle (or release) of it changes nothing, even after a restart. A settle that comes
 * after {@link #forgetAfter} finds it forgotten and changes nothing either: its hold was charged in
 * full when its lease ended, and stays so. That is the reservation's worst case: never less than
 * was spent when the call stayed within its reservation, but less when it went past it (an
 * underestimated input, an uncapped answer) and its settle was lost.
 */
final class BudgetLedger implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(BudgetLedger.class);

  /** The journal is folded into a new snapshot when it grows past this. */
  static final long COMPACT_AT_BYTES = 4L << 20;
  private static final Duration SWEEP_EVERY = Duration.ofMinutes(1);
  /** A batch buffer larger than this is let go after its write. */
  private static final int MAX_KEPT_BUFFER = 256 << 10;

  private final LedgerFiles files;
  private final Clock clock;
  private final Duration holdLease;
  /** How long after its lease ends a reservation can still be settled: one more lease. */
  private final Duration forgetAfter;
  private final BudgetCounters counts;
  private CounterTable table = new CounterTable();
  private final String idPrefix;
  private long nextId;
  /** The sequence number of the next journal line. */
  private long nextSeq;
  /** Lines made and not yet written. */
  private final StringBuilder pending = new StringBuilder(4096);
  private final JournalLine line = new JournalLine(pending);
  private Instant nextSweep;
  private boolean unsynced;
  /** The journal bytes of the batch being written; kept between batches unless large. */
  private ByteBuffer encoded = ByteBuffer.allocate(16 << 10);
  private final CharsetEncoder utf8 = StandardCharsets.UTF_8.newEncoder()
      .onMalformedInput(CodingErrorAction.REPLACE)
      .onUnmappableCharacter(CodingErrorAction.REPLACE);
  private Window minute;
  /** Per budget's limits (by identity), its current money window; emptied by every sweep. */
  private final Map<BudgetLimits, Optional<Window>> moneyWindows = new IdentityHashMap<>();

  private BudgetLedger(LedgerFiles files, Clock clock, Duration holdLease, BudgetCounters counts) {
    this.files = files;
    this.clock = clock;
    this.holdLease = holdLease;
    this.forgetAfter = holdLease;
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
      ledger.load();
      return ledger;
    } catch (IOException | RuntimeException e) {
      files.close();
      throw e;
    }
  }

  /**
   * For tests: the table the files in {@code dir} hold, replayed as a start would, before the
   * holds of the previous process are charged.
   */
  static CounterTable replay(Path dir) throws IOException {
    try (LedgerFiles files = LedgerFiles.open(dir, LedgerFiles.JournalWriter.FILE)) {
      CounterTable table = new CounterTable();
      files.read(table);
      return table;
    }
  }

  private void load() throws IOException {
    nextSeq = files.read(table) + 1;
    counts.holdsExpired(table.chargeAllHolds());
    table.dropExpired(clock.millis());
    files.compact(table, nextSeq - 1);
  }

  Admission reserve(List<ApplicableBudget> budgets, WorstCase demand) {
    try {
      return decide(budgets, demand);
    } finally {
      endLine(); // also after a bug's exception: the line holds what memory holds
    }
  }

  private Admission decide(List<ApplicableBudget> budgets, WorstCase demand) {
    Instant now = clock.instant();
    long nowMillis = now.toEpochMilli();
    sweepIfDue(now);
    List<Refusal> refusals = null;
    Window minute = minuteAt(now);
    for (ApplicableBudget applicable : budgets) {
      String name = applicable.name();
      String subject = applicable.subject();
      BudgetLimits limits = applicable.budget().limits();
      Optional<Window> money = moneyWindow(limits, now);
      CounterTable.Counter spend = null;
      if (money.isPresent()) {
        String key = CounterKeys.money(name, subject, money.get());
        spend = table.get(key);
        if (spend != null) {
          expireEndedLeases(key, spend, nowMillis);
        }
      }
      CounterTable.Counter requests = limits.requestsPerMinute().isPresent()
          ? table.get(CounterKeys.requests(name, subject, minute)) : null;
      CounterTable.Counter tokens = limits.tokensPerMinute().isPresent()
          ? table.get(CounterKeys.tokens(name, subject, minute)) : null;
      CounterState state = new CounterState(spend == null ? 0 : spend.value,
          spend == null ? 0 : spend.held, requests == null ? 0 : requests.value,
          tokens == null ? 0 : tokens.value);
      List<Refusal> refused = BudgetCheck.check(name, subject, limits, state, demand, now);
      if (!refused.isEmpty()) {
        if (refusals == null) {
          refusals = new ArrayList<>(refused.size());
        }
        refusals.addAll(refused);
      }
    }
    if (refusals != null) {
      return new Admission.Refused(Refusal.mostBinding(refusals));
    }
    String id = idPrefix + Long.toString(nextId++, 36);
    long leaseEnd = nowMillis + holdLease.toMillis();
    List<Reservation.Hold> holds = new ArrayList<>(budgets.size());
    boolean settleable = false;
    for (ApplicableBudget applicable : budgets) {
      String name = applicable.name();
      String subject = applicable.subject();
      BudgetLimits limits = applicable.budget().limits();
      Optional<Window> money = moneyWindow(limits, now);
      if (money.isPresent()) {
        settleable = true;
        String key = CounterKeys.money(name, subject, money.get());
        long expiresAt = CounterKeys.moneyExpiry(money.get(), holdLease).toEpochMilli();
        if (demand.nanoUsd() != 0) {
          table.hold(key, expiresAt, id, demand.nanoUsd(), leaseEnd);
          line.call("h", nextSeq).arg(key).arg(expiresAt).arg(id).arg(demand.nanoUsd())
              .arg(leaseEnd);
        } else {
          // A hold of nothing settles as no hold (Settlement.spendDelta): only the counter the
          // settle adds to must exist.
          CounterTable.Counter spend = table.get(key);
          if (spend == null || spend.expiresAt < expiresAt) {
            count(key, expiresAt, 0);
          }
        }
      }
      long minuteExpiry = CounterKeys.minuteExpiry(minute).toEpochMilli();
      if (limits.requestsPerMinute().isPresent()) {
        count(CounterKeys.requests(name, subject, minute), minuteExpiry, 1);
      }
      Optional<Window> tokenMinute = Optional.empty();
      if (limits.tokensPerMinute().isPresent()) {
        settleable = true;
        count(CounterKeys.tokens(name, subject, minute), minuteExpiry, demand.tokens());
        tokenMinute = Optional.of(minute);
      }
      holds.add(new Reservation.Hold(name, subject, money, tokenMinute));
    }
    if (settleable) {
      long forgetAt = leaseEnd + forgetAfter.toMillis();
      table.open(id, forgetAt);
      line.call("o", nextSeq).arg(id).arg(forgetAt);
    }
    return new Admission.Admitted(new Reservation(id, now, demand, holds));
  }

  /** This minute's window, computed once a minute rather than per request. */
  private Window minuteAt(Instant now) {
    if (minute == null || !minute.contains(now)) {
      minute = Window.minuteAt(now);
    }
    return minute;
  }

  /** A budget's money window now, computed once per window rather than per request. */
  private Optional<Window> moneyWindow(BudgetLimits limits, Instant now) {
    Optional<Window> window = moneyWindows.get(limits);
    if (window == null || window.isPresent() && !window.get().contains(now)) {
      window = limits.moneyWindow(now);
      moneyWindows.put(limits, window);
    }
    return window;
  }

  private void count(String key, long expiresAt, long delta) {
    table.count(key, expiresAt, delta);
    line.call("c", nextSeq).arg(key).arg(expiresAt).arg(delta);
  }

  /**
   * Replaces the reservation's holds by {@code charge}; changes nothing when the reservation is
   * not open (settled or released already, or forgotten).
   */
  void settle(Reservation reservation, Charge charge) {
    String id = reservation.id();
    if (!table.close(id)) {
      return;
    }
    try {
      settleOpen(id, reservation, charge);
    } finally {
      endLine();
    }
  }

  private void settleOpen(String id, Reservation reservation, Charge charge) {
    line.call("x", nextSeq).arg(id);
    WorstCase demand = reservation.demand();
    for (Reservation.Hold hold : reservation.holds()) {
      if (hold.moneyWindow().isPresent()) {
        String key = CounterKeys.money(hold.budget(), hold.subject(), hold.moneyWindow().get());
        if (table.settleMoney(key, id, demand.nanoUsd(), charge.nanoUsd())) {
          line.call("m", nextSeq).arg(key).arg(id).arg(demand.nanoUsd()).arg(charge.nanoUsd());
        }
      }
      if (hold.tokenMinute().isPresent()) {
        String key = CounterKeys.tokens(hold.budget(), hold.subject(), hold.tokenMinute().get());
        long delta = Settlement.tokensDelta(demand.tokens(), charge.tokens());
        if (table.adjust(key, delta)) {
          line.call("a", nextSeq).arg(key).arg(delta);
        }
      }
    }
  }

  List<BudgetUsage> usage(List<Budget> budgets) {
    Instant now = clock.instant();
    sweepIfDue(now);
    UsageTable usage = new UsageTable(budgets, now);
    table.counters().forEach((key, c) -> {
      UsageTable.Cell cell = usage.cell(key);
      if (cell != null) {
        usage.put(cell, c.value, c.held);
      }
    });
    return usage.rows();
  }

  /** True when changes are waiting for {@link #commit}. */
  boolean hasPending() {
    return pending.length() > 0;
  }

  /**
   * Writes the changes made since the last commit, in one write; then folds the journal into a
   * snapshot when it has grown past {@link #COMPACT_AT_BYTES}.
   *
   * @throws IOException when the write failed: the journal is cut back to where the batch began,
   *     the changes are undone (memory is read back from the files), and none of them may be
   *     answered as made: the whole batch fails
   * @throws LedgerFiles.CutBackFailed when the journal could not be cut back either: memory is
   *     not read back (the journal may hold part of the batch), and the store must stop
   */
  void commit() throws IOException {
    if (pending.length() == 0) {
      return;
    }
    ByteBuffer bytes = encode();
    pending.setLength(0);
    try {
      files.append(bytes);
    } catch (LedgerFiles.CutBackFailed e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      reload(e);
      throw e;
    } finally {
      if (encoded.capacity() > MAX_KEPT_BUFFER) {
        encoded = ByteBuffer.allocate(16 << 10);
      }
    }
    unsynced = true;
    if (files.journalSize() > COMPACT_AT_BYTES) {
      try {
        files.compact(table, nextSeq - 1);
        unsynced = false;
      } catch (IOException e) {
        LOG.warn("cannot fold the budget journal into a snapshot; will try again: {}",
            e.getMessage());
      }
    }
  }

  /** The pending lines as UTF-8, in a buffer reused from batch to batch. */
  private ByteBuffer encode() {
    int most = pending.length() * 3; // UTF-8 bytes per UTF-16 char, at most
    if (encoded.capacity() < most) {
      encoded = ByteBuffer.allocate(Math.max(most, 2 * encoded.capacity()));
    }
    encoded.clear();
    utf8.reset();
    utf8.encode(CharBuffer.wrap(pending), encoded, true);
    utf8.flush(encoded);
    return encoded.flip();
  }

  /** Reads memory back from the files after a failed write: they hold what was answered. */
  private void reload(Exception cause) throws IOException {
    CounterTable read = new CounterTable();
    try {
      files.read(read);
    } catch (IOException e) {
      e.addSuppressed(cause);
      throw new IOException("the budget journal could not be written, nor read back: "
          + e.getMessage(), e);
    }
    table = read;
  }

  /** Forces the journal to the disk (a power loss then keeps it too). */
  void sync() throws IOException {
    if (unsynced) {
      files.sync();
      unsynced = false;
    }
  }

  int counterCount() {
    return table.counters().size();
  }

  /** Reservations remembered: those open, awaiting their settle. */
  int openCount() {
    return table.openCount();
  }

  /** For tests: the whole table, as text. */
  String describe() {
    return table.describe();
  }

  /** Writes a last snapshot and lets go of the directory. */
  @Override
  public void close() throws IOException {
    try {
      commit();
      files.compact(table, nextSeq - 1);
    } finally {
      files.close();
    }
  }

  /**
   * Lets go of the files as a killed process would: no last snapshot, the journal as written.
   * After an {@link Error} on the owner thread (memory may be ahead of the files), and in tests of
   * what a crash keeps.
   */
  void abandon() throws IOException {
    files.close();
  }

  private void sweepIfDue(Instant now) {
    if (now.isBefore(nextSweep)) {
      return;
    }
    nextSweep = now.plus(SWEEP_EVERY);
    long nowMillis = now.toEpochMilli();
    table.dropExpired(nowMillis);
    moneyWindows.clear(); // policies reloaded since leave their limits behind
    try {
      for (Map.Entry<String, CounterTable.Counter> entry : table.counters().entrySet()) {
        expireEndedLeases(entry.getKey(), entry.getValue(), nowMillis);
      }
    } finally {
      endLine();
    }
  }

  /** Charges the holds of one counter whose lease ended, into the current line. */
  private void expireEndedLeases(String key, CounterTable.Counter c, long nowMillis) {
    List<String> ended = CounterTable.endedLeases(c, nowMillis);
    for (String id : ended) {
      table.expire(key, id);
      line.call("e", nextSeq).arg(key).arg(id);
    }
    counts.holdsExpired(ended.size());
  }

  private void endLine() {
    if (line.end()) {
      nextSeq++;
    }
  }
}
