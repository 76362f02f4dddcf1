package dev.keyward.proxy.console;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The geometry of a stacked bar chart drawn as SVG by the page (no script): one bar per time
 * bucket, one segment per series, the largest series named and the rest as "other". Values are
 * nano-USD; coordinates are in the SVG's view box.
 */
public record StackedChart(int width, int height, List<Bar> bars, List<Tick> ticks,
    List<Legend> legend, boolean empty) {

  /** Series drawn in their own colour; the rest are summed as "other". */
  public static final int MAX_SERIES = 6;
  static final int WIDTH = 760;
  static final int HEIGHT = 240;
  static final int LEFT = 70;
  static final int BOTTOM = 24;
  static final int TOP = 8;

  public record Segment(double y, double height, String css, String title) {}

  public record Bar(double x, double width, String label, boolean labelled, double labelX,
      List<Segment> segments) {}

  public record Tick(double y, String label) {}

  public record Legend(String css, String name, String total) {}

  /**
   * @param buckets the bucket labels, oldest first
   * @param values per series, one value per bucket (nano-USD)
   */
  public static StackedChart of(List<String> buckets, Map<String, long[]> values) {
    List<Map.Entry<String, long[]>> bySize = new ArrayList<>(values.entrySet());
    bySize.sort(Comparator.comparingLong((Map.Entry<String, long[]> e) -> -sum(e.getValue()))
        .thenComparing(Map.Entry::getKey));
    Map<String, long[]> shown = new LinkedHashMap<>();
    long[] other = new long[buckets.size()];
    boolean hasOther = false;
    for (int i = 0; i < bySize.size(); i++) {
      if (i < MAX_SERIES) {
        shown.put(bySize.get(i).getKey(), bySize.get(i).getValue());
      } else {
        hasOther = true;
        long[] v = bySize.get(i).getValue();
        for (int b = 0; b < other.length; b++) {
          other[b] += v[b];
        }
      }
    }
    if (hasOther) {
      shown.put("other", other);
    }
    long max = 0;
    for (int b = 0; b < buckets.size(); b++) {
      long total = 0;
      for (long[] v : shown.values()) {
        total += v[b];
      }
      max = Math.max(max, total);
    }
    long top = niceCeiling(max);
    double plotHeight = HEIGHT - TOP - BOTTOM;
    double slot = buckets.isEmpty() ? 0 : (double) (WIDTH - LEFT) / buckets.size();
    int labelEvery = Math.max(1, (int) Math.ceil(buckets.size() / 12.0));
    List<Bar> bars = new ArrayList<>();
    for (int b = 0; b < buckets.size(); b++) {
      double y = HEIGHT - BOTTOM;
      List<Segment> segments = new ArrayList<>();
      int series = 0;
      for (Map.Entry<String, long[]> e : shown.entrySet()) {
        long v = e.getValue()[b];
        if (v > 0 && top > 0) {
          double h = plotHeight * v / top;
          y -= h;
          segments.add(new Segment(round(y), round(h), css(e.getKey(), series),
              buckets.get(b) + " " + e.getKey() + ": " + Formats.usd(v)));
        }
        series++;
      }
      double x = LEFT + slot * b + slot * 0.15;
      bars.add(new Bar(round(x), round(slot * 0.7), buckets.get(b), b % labelEvery == 0,
          round(x + slot * 0.35), segments));
    }
    List<Tick> ticks = new ArrayList<>();
    for (int i = 0; i <= 2 && top > 0; i++) {
      long value = top * i / 2;
      ticks.add(new Tick(round(HEIGHT - BOTTOM - plotHeight * i / 2), Formats.usd(value)));
    }
    List<Legend> legend = new ArrayList<>();
    int series = 0;
    for (Map.Entry<String, long[]> e : shown.entrySet()) {
      legend.add(new Legend(css(e.getKey(), series++), e.getKey(), Formats.usd(sum(e.getValue()))));
    }
    return new StackedChart(WIDTH, HEIGHT, bars, ticks, legend, max == 0);
  }

  /** The smallest 1, 2 or 5 × 10^k at or above {@code value}. */
  static long niceCeiling(long value) {
    if (value <= 0) {
      return 0;
    }
    long magnitude = 1;
    while (magnitude <= value / 10) {
      magnitude *= 10;
    }
    for (long step : new long[] {1, 2, 5, 10}) {
      if (step * magnitude >= value) {
        return step * magnitude;
      }
    }
    return 10 * magnitude;
  }

  private static String css(String name, int index) {
    return name.equals("other") && index >= MAX_SERIES ? "s-other" : "s" + index;
  }

  private static long sum(long[] values) {
    long total = 0;
    for (long v : values) {
      total += v;
    }
    return total;
  }

  private static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }
}
