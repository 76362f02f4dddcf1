package dev.keyward.proxy.console;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What LLM calls cost over a time range, from the audit records' {@code usage}: per model and per
 * tier (the token's purpose) in hourly buckets for two days or less, daily beyond, and the agents
 * that spent most. Calls to models without a price count in calls and tokens, not in cost.
 */
public final class UsageSummary {

  /** Top agents shown. */
  public static final int TOP_AGENTS = 10;
  /** Up to this range, buckets are hours; beyond, days. */
  static final Duration HOURLY_UP_TO = Duration.ofHours(48);
  static final String NO_TIER = "(no tier)";

  /** One agent's spend. */
  public record AgentSpend(String tenant, String agent, long nanoUsd, long calls, long tokens,
      long unpricedCalls) {

    public String cost() {
      return Formats.usd(nanoUsd);
    }
  }

  private final Instant from;
  private final ChronoUnit unit;
  private final int buckets;
  private final Map<String, long[]> byModel = new TreeMap<>();
  private final Map<String, long[]> byTier = new TreeMap<>();
  private final Map<String, long[]> agents = new HashMap<>();
  private long nanoUsd;
  private long calls;
  private long tokens;
  private long unpriced;
  private long estimated;

  /** Calls from {@code from} (inclusive) to {@code to} (exclusive). */
  public UsageSummary(Instant from, Instant to) {
    if (!from.isBefore(to)) {
      throw new IllegalArgumentException("from must be before to");
    }
    this.unit = Duration.between(from, to).compareTo(HOURLY_UP_TO) <= 0 ? ChronoUnit.HOURS
        : ChronoUnit.DAYS;
    this.from = from.truncatedTo(unit);
    this.buckets = (int) Math.max(1, unit.between(this.from, to.minusNanos(1)) + 1);
  }

  /** Offers one audit entry; only request records with usage in the range count. */
  public void accept(JsonObject entry) {
    if (!"request".equals(entry.getString("type"))
        || !(entry.getValue("usage") instanceof JsonObject usage)) {
      return;
    }
    Instant time = Instant.parse(entry.getString("time"));
    long bucket = unit.between(from, time.truncatedTo(unit));
    if (time.isBefore(from) || bucket >= buckets) {
      return;
    }
    long callTokens = usage.getLong("input_tokens", 0L) + usage.getLong("output_tokens", 0L);
    Object usd = usage.getValue("cost_usd");
    long cost = usd instanceof Number n ? Formats.nanoUsd(n.doubleValue()) : 0;
    calls++;
    tokens += callTokens;
    nanoUsd += cost;
    if (!(usd instanceof Number)) {
      unpriced++;
    }
    if (usage.getBoolean("estimated", false)) {
      estimated++;
    }
    String model = usage.getString("model", "");
    String tier = usage.getString("tier");
    byModel.computeIfAbsent(model.isEmpty() ? "(unknown)" : model, m -> new long[buckets])
        [(int) bucket] += cost;
    byTier.computeIfAbsent(tier == null || tier.isEmpty() ? NO_TIER : tier,
        t -> new long[buckets])[(int) bucket] += cost;
    long[] agent = agents.computeIfAbsent(entry.getString("tenant", "") + "\n"
        + entry.getString("agent", ""), a -> new long[4]);
    agent[0] += cost;
    agent[1]++;
    agent[2] += callTokens;
    agent[3] += usd instanceof Number ? 0 : 1;
  }

  public StackedChart costByModel() {
    return StackedChart.of(labels(), byModel);
  }

  public StackedChart costByTier() {
    return StackedChart.of(labels(), byTier);
  }

  /** The agents that spent most, then by calls. */
  public List<AgentSpend> topAgents() {
    List<AgentSpend> all = new ArrayList<>();
    agents.forEach((key, v) -> {
      int split = key.indexOf('\n');
      all.add(new AgentSpend(key.substring(0, split), key.substring(split + 1), v[0], v[1], v[2],
          v[3]));
    });
    all.sort(Comparator.comparingLong(AgentSpend::nanoUsd).reversed()
        .thenComparing(Comparator.comparingLong(AgentSpend::calls).reversed())
        .thenComparing(AgentSpend::tenant).thenComparing(AgentSpend::agent));
    return List.copyOf(all.subList(0, Math.min(TOP_AGENTS, all.size())));
  }

  public long nanoUsd() {
    return nanoUsd;
  }

  public long calls() {
    return calls;
  }

  public long tokens() {
    return tokens;
  }

  public long unpricedCalls() {
    return unpriced;
  }

  public long estimatedCalls() {
    return estimated;
  }

  /** {@code hour} or {@code day}. */
  public String bucket() {
    return unit == ChronoUnit.HOURS ? "hour" : "day";
  }

  private List<String> labels() {
    DateTimeFormatter format = DateTimeFormatter.ofPattern(unit == ChronoUnit.HOURS
        ? "MM-dd HH:00" : "yyyy-MM-dd").withZone(ZoneOffset.UTC);
    List<String> labels = new ArrayList<>(buckets);
    for (int i = 0; i < buckets; i++) {
      labels.add(format.format(from.plus(i, unit)));
    }
    return labels;
  }
}
