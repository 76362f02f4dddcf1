package dev.keyward.proxy.budget;

import dev.keyward.llm.budget.BudgetCheck;
import dev.keyward.llm.budget.BudgetLimits;
import dev.keyward.llm.budget.Charge;
import dev.keyward.llm.budget.LimitKind;
import dev.keyward.llm.budget.Refusal;
import dev.keyward.llm.budget.Settlement;
import dev.keyward.llm.budget.Window;
import dev.keyward.llm.budget.WorstCase;
import dev.keyward.policies.ApplicableBudget;
import dev.keyward.policies.Budget;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Budget counters shared by every replica, in Redis. Reservation and settlement are each one Lua
 * script ({@code reserve.lua}, {@code settle.lua}), so read-check-reserve is atomic across
 * replicas; counters are keyed by window ({@code kw:budget:<budget>:<subject>:<window>}), so a
 * period reset is a new key that no replica can race; every key has an expiry. A settled
 * reservation leaves a marker ({@code kw:budget:_settled:<reservation>}) for a hold lease, so a
 * second settle counts nothing.
 *
 * <p>A standalone Redis (with replicas or Sentinel if wanted), not Redis Cluster: one request's
 * keys span budgets and would span hash slots. Redis must not evict these keys under memory
 * pressure ({@code maxmemory-policy noeviction}), and survives restarts only as far as its own
 * persistence does (AOF recommended).
 *
 * <p>Every call fails with {@link BudgetStoreUnavailableException} when Redis does not answer
 * within the timeout.
 */
public final class RedisBudgetStore implements BudgetStore {

  public static final String KEY_PREFIX = "kw:budget:";
  private static final RedisScript RESERVE = RedisScript.load("reserve.lua");
  private static final RedisScript SETTLE = RedisScript.load("settle.lua");
  private static final int SCAN_COUNT = 500;

  private final Redis redis;
  private final String endpoint;
  private final Clock clock;
  private final Duration holdLease;
  private final Duration timeout;
  private final BudgetCounters counters;
  private final String idPrefix =
      Long.toString(new SecureRandom().nextLong() & Long.MAX_VALUE, 36) + "-";
  private final AtomicLong nextId = new AtomicLong();

  /**
   * @param endpoint how failures name Redis ({@code host:port}), never with a password
   * @param holdLease how long a reservation may stay unsettled before it is charged in full
   * @param timeout the longest a reserve or settle may take before the store counts as down
   */
  public RedisBudgetStore(Redis redis, String endpoint, Clock clock, Duration holdLease,
      Duration timeout, BudgetCounters counters) {
    this.redis = redis;
    this.endpoint = endpoint;
    this.clock = clock;
    this.holdLease = holdLease;
    this.timeout = timeout;
    this.counters = counters;
  }

  @Override
  public Future<Admission> reserve(List<ApplicableBudget> budgets, WorstCase demand) {
    if (budgets.isEmpty()) {
      return Future.succeededFuture(new Admission.Admitted(Reservation.NONE));
    }
    Instant now = clock.instant();
    Window minute = Window.minuteAt(now);
    String id = idPrefix + Long.toString(nextId.getAndIncrement(), 36);
    List<String> keys = new ArrayList<>(budgets.size() * 4);
    List<String> args = new ArrayList<>(6 + budgets.size() * 5);
    args.add(Long.toString(now.toEpochMilli()));
    args.add(id);
    args.add(Long.toString(now.plus(holdLease).toEpochMilli()));
    args.add(Long.toString(demand.nanoUsd()));
    args.add(Long.toString(demand.tokens()));
    args.add(demand.priced() ? "1" : "0");
    List<Reservation.Hold> holds = new ArrayList<>(budgets.size());
    for (ApplicableBudget applicable : budgets) {
      String name = applicable.name();
      String subject = applicable.subject();
      BudgetLimits limits = applicable.budget().limits();
      Optional<Window> money = limits.moneyWindow(now);
      String moneyKey = KEY_PREFIX + (money.isPresent()
          ? CounterKeys.money(name, subject, money.get()) : name + ":" + subject + ":no-money");
      keys.add(moneyKey);
      keys.add(moneyKey + ":leases");
      keys.add(KEY_PREFIX + CounterKeys.requests(name, subject, minute));
      keys.add(KEY_PREFIX + CounterKeys.tokens(name, subject, minute));
      args.add(Long.toString(limits.nanoUsd().orElse(-1)));
      args.add(Long.toString(money.map(w -> ttlMillis(now,
          CounterKeys.moneyExpiry(w, holdLease))).orElse(0L)));
      args.add(Long.toString(limits.requestsPerMinute().orElse(-1)));
      args.add(Long.toString(limits.tokensPerMinute().orElse(-1)));
      args.add(Long.toString(ttlMillis(now, CounterKeys.minuteExpiry(minute))));
      holds.add(new Reservation.Hold(name, subject, money,
          limits.tokensPerMinute().isPresent() ? Optional.of(minute) : Optional.empty()));
    }
    return call(RESERVE, keys, args).map(reply -> {
      counters.holdsExpired(reply.get(1).toLong());
      if (reply.get(0).toInteger() == 1) {
        return new Admission.Admitted(new Reservation(id, now, demand, holds));
      }
      List<Refusal> refusals = new ArrayList<>();
      for (int i = 2; i + 2 < reply.size(); i += 3) {
        ApplicableBudget applicable = budgets.get(reply.get(i).toInteger() - 1);
        refusals.add(refusal(applicable, reply.get(i + 1).toInteger(), reply.get(i + 2).toLong(),
            demand, now));
      }
      return new Admission.Refused(Refusal.mostBinding(refusals));
    });
  }

  @Override
  public Future<Void> settle(Reservation reservation, Charge charge) {
    if (reservation.isEmpty()) {
      return Future.succeededFuture();
    }
    WorstCase demand = reservation.demand();
    List<String> keys = new ArrayList<>(1 + reservation.holds().size() * 3);
    List<String> args = new ArrayList<>(5 + reservation.holds().size() * 2);
    keys.add(KEY_PREFIX + CounterKeys.settled(reservation.id()));
    args.add(reservation.id());
    args.add(Long.toString(Settlement.spendDelta(false, demand.nanoUsd(), charge.nanoUsd())));
    args.add(Long.toString(Settlement.spendDelta(true, demand.nanoUsd(), charge.nanoUsd())));
    args.add(Long.toString(Settlement.tokensDelta(demand.tokens(), charge.tokens())));
    args.add(Long.toString(holdLease.toMillis()));
    for (Reservation.Hold hold : reservation.holds()) {
      String moneyKey = KEY_PREFIX + hold.moneyWindow()
          .map(w -> CounterKeys.money(hold.budget(), hold.subject(), w))
          .orElse(hold.budget() + ":" + hold.subject() + ":no-money");
      keys.add(moneyKey);
      keys.add(moneyKey + ":leases");
      keys.add(KEY_PREFIX + hold.tokenMinute()
          .map(m -> CounterKeys.tokens(hold.budget(), hold.subject(), m))
          .orElse(hold.budget() + ":" + hold.subject() + ":no-tokens"));
      args.add(hold.moneyWindow().isPresent() ? "1" : "0");
      args.add(hold.tokenMinute().isPresent() ? "1" : "0");
    }
    return call(SETTLE, keys, args).mapEmpty();
  }

  @Override
  public Future<List<BudgetUsage>> usage(List<Budget> budgets) {
    UsageTable table = new UsageTable(budgets, clock.instant());
    return scan(KEY_PREFIX + table.prefix() + "*", "0", new ArrayList<>()).compose(found -> {
      List<UsageTable.Cell> cells = new ArrayList<>();
      List<Request> reads = new ArrayList<>();
      for (String key : found) {
        UsageTable.Cell cell = table.cell(key.substring(KEY_PREFIX.length()));
        if (cell != null) {
          cells.add(cell);
          reads.add(cell.column() == UsageTable.Column.MONEY
              ? Request.cmd(Command.HMGET).arg(key).arg("spent").arg("held")
              : Request.cmd(Command.GET).arg(key));
        }
      }
      if (reads.isEmpty()) {
        return Future.succeededFuture(table.rows());
      }
      return withTimeout(redis.batch(reads)).map(replies -> {
        for (int i = 0; i < cells.size(); i++) {
          Response reply = replies.get(i);
          if (cells.get(i).column() == UsageTable.Column.MONEY) {
            table.put(cells.get(i), number(reply.get(0)), number(reply.get(1)));
          } else {
            table.put(cells.get(i), number(reply), 0);
          }
        }
        return table.rows();
      });
    });
  }

  @Override
  public Future<Void> close() {
    return redis.close();
  }

  /** Every key matching {@code pattern}, cursor by cursor (SCAN never blocks Redis for long). */
  private Future<List<String>> scan(String pattern, String cursor, List<String> found) {
    return withTimeout(redis.send(Request.cmd(Command.SCAN).arg(cursor).arg("MATCH").arg(pattern)
        .arg("COUNT").arg(SCAN_COUNT))).compose(reply -> {
          for (Response key : reply.get(1)) {
            found.add(key.toString());
          }
          String next = reply.get(0).toString();
          return next.equals("0") ? Future.succeededFuture(found) : scan(pattern, next, found);
        });
  }

  private Refusal refusal(ApplicableBudget applicable, int kind, long used, WorstCase demand,
      Instant now) {
    BudgetLimits limits = applicable.budget().limits();
    String name = applicable.name();
    String subject = applicable.subject();
    return switch (kind) {
      case 1 -> BudgetCheck.refusal(name, subject, LimitKind.MONEY, limits.nanoUsd().getAsLong(),
          used, demand.nanoUsd(), limits.moneyWindow(now).orElseThrow(), now);
      case 2 -> BudgetCheck.refusal(name, subject, LimitKind.UNPRICED_MODEL, 0, used, 0,
          limits.moneyWindow(now).orElseThrow(), now);
      case 3 -> BudgetCheck.refusal(name, subject, LimitKind.REQUESTS,
          limits.requestsPerMinute().getAsLong(), used, 1, Window.minuteAt(now), now);
      case 4 -> BudgetCheck.refusal(name, subject, LimitKind.TOKENS,
          limits.tokensPerMinute().getAsLong(), used, demand.tokens(), Window.minuteAt(now), now);
      default -> throw new IllegalStateException("reserve.lua answered an unknown kind " + kind);
    };
  }

  private Future<Response> call(RedisScript script, List<String> keys, List<String> args) {
    return withTimeout(script.run(redis, keys, args));
  }

  private <T> Future<T> withTimeout(Future<T> call) {
    return call.timeout(timeout.toMillis(), TimeUnit.MILLISECONDS).recover(e ->
        Future.failedFuture(new BudgetStoreUnavailableException("the budget store (Redis at "
            + endpoint + ") did not answer: " + e.getMessage(), e)));
  }

  private static long ttlMillis(Instant now, Instant expiry) {
    return Math.max(1, Duration.between(now, expiry).toMillis());
  }

  private static long number(Response value) {
    return value == null ? 0 : Long.parseLong(value.toString());
  }
}
