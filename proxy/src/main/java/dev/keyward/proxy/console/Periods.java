package dev.keyward.proxy.console;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The look-back periods a page offers ({@code ?since=24h}), and links to each. */
public final class Periods {

  /** A period link, marked when it is the one shown. */
  public record Choice(String label, String href, boolean active) {}

  static final Map<String, Duration> ALL = new LinkedHashMap<>();

  static {
    ALL.put("24h", Duration.ofHours(24));
    ALL.put("7d", Duration.ofDays(7));
    ALL.put("30d", Duration.ofDays(30));
    ALL.put("90d", Duration.ofDays(90));
  }

  private Periods() {}

  /** The period named, or {@code fallback} for none or an unknown name. */
  static String chosen(String name, String fallback) {
    return name != null && ALL.containsKey(name) ? name : fallback;
  }

  static List<Choice> choices(String base, String chosen) {
    List<Choice> out = new ArrayList<>();
    ALL.keySet().forEach(name -> out.add(new Choice(name, base + "?since=" + name,
        name.equals(chosen))));
    return out;
  }
}
