package dev.keyward.proxy.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UsageSummaryTest {

  static JsonObject call(String time, String agent, String model, String tier, Double usd) {
    return new JsonObject().put("type", "request").put("time", time).put("tenant", "acme")
        .put("agent", agent).put("usage", new JsonObject().put("model", model).put("tier", tier)
            .put("input_tokens", 100).put("output_tokens", 20).put("cost_usd", usd)
            .put("estimated", false));
  }

  @Test
  void costIsSummedPerModelPerTierAndPerAgent() {
    UsageSummary summary = new UsageSummary(Instant.parse("2026-12-01T00:00:00Z"),
        Instant.parse("2026-12-02T00:00:00Z"));
    summary.accept(call("2026-12-01T10:15:00Z", "bot", "gpt-5-mini", null, 0.25));
    summary.accept(call("2026-12-01T10:45:00Z", "bot", "gpt-5-nano", "heartbeat", 0.01));
    summary.accept(call("2026-12-01T11:00:00Z", "eval", "gpt-5-mini", "conversation", 1.0));
    summary.accept(call("2026-12-01T12:00:00Z", "eval", "mystery", null, null));
    summary.accept(call("2026-11-30T23:59:59Z", "early", "gpt-5-mini", null, 9.0));
    summary.accept(new JsonObject().put("type", "request").put("time", "2026-12-01T12:00:00Z"));

    assertEquals(1_260_000_000L, summary.nanoUsd());
    assertEquals(4, summary.calls());
    assertEquals(480, summary.tokens());
    assertEquals(1, summary.unpricedCalls());
    assertEquals("hour", summary.bucket());
    List<UsageSummary.AgentSpend> top = summary.topAgents();
    assertEquals("eval", top.get(0).agent());
    assertEquals(1_000_000_000L, top.get(0).nanoUsd());
    assertEquals(1, top.get(0).unpricedCalls());
    assertEquals(260_000_000L, top.get(1).nanoUsd());

    StackedChart byModel = summary.costByModel();
    assertEquals(24, byModel.bars().size());
    assertEquals(List.of("gpt-5-mini", "gpt-5-nano", "mystery"),
        byModel.legend().stream().map(StackedChart.Legend::name).toList());
    assertEquals(2, byModel.bars().get(10).segments().size());
    StackedChart byTier = summary.costByTier();
    assertEquals(List.of("conversation", UsageSummary.NO_TIER, "heartbeat"),
        byTier.legend().stream().map(StackedChart.Legend::name).toList());
  }

  @Test
  void rangesOverTwoDaysUseDailyBuckets() {
    UsageSummary summary = new UsageSummary(Instant.parse("2026-11-01T00:00:00Z"),
        Instant.parse("2026-12-01T00:00:00Z"));
    assertEquals("day", summary.bucket());
    assertEquals(30, summary.costByModel().bars().size());
    assertTrue(summary.costByModel().empty());
  }

  @Test
  void theChartScalesToANiceCeilingAndFoldsSmallSeriesIntoOther() {
    assertEquals(0, StackedChart.niceCeiling(0));
    assertEquals(50, StackedChart.niceCeiling(37));
    assertEquals(100, StackedChart.niceCeiling(100));
    assertEquals(200, StackedChart.niceCeiling(101));
    Map<String, long[]> series = new java.util.TreeMap<>();
    for (int i = 0; i < 9; i++) {
      series.put("m" + i, new long[] {(i + 1) * 1_000_000L});
    }
    StackedChart chart = StackedChart.of(List.of("d"), series);
    assertEquals(StackedChart.MAX_SERIES + 1, chart.legend().size());
    assertEquals("other", chart.legend().get(StackedChart.MAX_SERIES).name());
    assertEquals("s-other", chart.legend().get(StackedChart.MAX_SERIES).css());
    assertFalse(chart.empty());
    double top = chart.bars().get(0).segments().get(chart.bars().get(0).segments().size() - 1).y();
    assertTrue(top >= StackedChart.TOP, "the stack stays inside the plot: " + top);
  }
}
