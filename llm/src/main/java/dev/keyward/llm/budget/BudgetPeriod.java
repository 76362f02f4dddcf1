package dev.keyward.llm.budget;

import dev.keyward.llm.Spelling;
import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.TemporalAdjusters;
import java.util.Locale;
import java.util.Objects;

/**
 * When a money budget starts over: every day, every week on a weekday, or every month on a day of
 * the month, at local midnight in a time zone. Billing cycles are calendar things, so the
 * arithmetic is done on local dates and only then turned into instants: a day of a DST change
 * lasts 23 or 25 hours, and a month starts when the customer's month starts.
 *
 * <ul>
 *   <li>A midnight that does not exist (a DST gap at 00:00) is replaced by the first valid time of
 *       that day, as {@link LocalDate#atStartOfDay(ZoneId)} does.
 *   <li>{@code reset_day} 29, 30 or 31 falls on the last day of a shorter month: a cycle anchored
 *       on the 31st runs Jan 31 → Feb 28 → Mar 31.
 * </ul>
 *
 * @param resetDay for {@link Period#WEEKLY} the ISO weekday (1 = Monday … 7 = Sunday); for {@link
 *     Period#MONTHLY} the day of the month, 1-31; 1 for {@link Period#DAILY}
 */
public record BudgetPeriod(Period period, int resetDay, ZoneId zone) {

  public static final ZoneId DEFAULT_ZONE = ZoneOffset.UTC;

  public BudgetPeriod {
    Objects.requireNonNull(period, "period");
    Objects.requireNonNull(zone, "zone");
    int max = switch (period) {
      case DAILY -> 1;
      case WEEKLY -> 7;
      case MONTHLY -> 31;
    };
    if (resetDay < 1 || resetDay > max) {
      throw new IllegalArgumentException("reset day " + resetDay + " is out of range for "
          + period.wireName() + " (1-" + max + ")");
    }
  }

  public static BudgetPeriod daily(ZoneId zone) {
    return new BudgetPeriod(Period.DAILY, 1, zone);
  }

  public static BudgetPeriod weekly(DayOfWeek resetDay, ZoneId zone) {
    return new BudgetPeriod(Period.WEEKLY, resetDay.getValue(), zone);
  }

  public static BudgetPeriod monthly(int resetDay, ZoneId zone) {
    return new BudgetPeriod(Period.MONTHLY, resetDay, zone);
  }

  /** The window holding {@code instant}. */
  public Window windowAt(Instant instant) {
    LocalDate date = instant.atZone(zone).toLocalDate();
    LocalDate start = startDate(date);
    // A local date is not always inside its own day's window: where clocks go back at midnight,
    // the repeated hour before it belongs to the next day's window. Step until it fits.
    while (!instant.isBefore(midnight(next(start)))) {
      start = next(start);
    }
    while (instant.isBefore(midnight(start))) {
      start = startDate(start.minusDays(1));
    }
    return new Window(key(start), midnight(start), midnight(next(start)));
  }

  /** For people and refusals: {@code monthly on day 15 (Europe/Paris)}. */
  public String describe() {
    return switch (period) {
      case DAILY -> "daily (" + zone.getId() + ")";
      case WEEKLY -> "weekly on " + DayOfWeek.of(resetDay).name().toLowerCase(Locale.ROOT)
          + " (" + zone.getId() + ")";
      case MONTHLY -> "monthly on day " + resetDay + " (" + zone.getId() + ")";
    };
  }

  /**
   * Reads a policy's {@code timezone}: an IANA name ({@code Europe/Paris}) or an offset ({@code
   * +02:00}).
   *
   * @throws IllegalArgumentException naming the closest known zone when there is one
   */
  public static ZoneId zone(String text) {
    try {
      return ZoneId.of(text);
    } catch (DateTimeException e) {
      String suggestion = closestZone(text);
      throw new IllegalArgumentException("unknown timezone '" + text + "'; "
          + (suggestion == null ? "use an IANA name such as Europe/Paris or America/New_York"
              : "did you mean '" + suggestion + "'?"));
    }
  }

  /**
   * Reads a weekly {@code reset_day}: a weekday name ({@code monday}) or its ISO number (1-7).
   *
   * @throws IllegalArgumentException naming the accepted forms
   */
  public static DayOfWeek weekday(String text) {
    String lower = text.toLowerCase(Locale.ROOT);
    for (DayOfWeek day : DayOfWeek.values()) {
      if (day.name().toLowerCase(Locale.ROOT).equals(lower)) {
        return day;
      }
    }
    if (text.matches("[1-7]")) {
      return DayOfWeek.of(Integer.parseInt(text));
    }
    throw new IllegalArgumentException("weekly reset_day '" + text + "' is not a weekday; use"
        + " monday … sunday (or 1-7, 1 = monday)");
  }

  private LocalDate startDate(LocalDate date) {
    return switch (period) {
      case DAILY -> date;
      case WEEKLY -> date.with(TemporalAdjusters.previousOrSame(DayOfWeek.of(resetDay)));
      case MONTHLY -> {
        LocalDate anchor = anchor(YearMonth.from(date));
        yield date.isBefore(anchor) ? anchor(YearMonth.from(date).minusMonths(1)) : anchor;
      }
    };
  }

  private LocalDate next(LocalDate start) {
    return switch (period) {
      case DAILY -> start.plusDays(1);
      case WEEKLY -> start.plusWeeks(1);
      case MONTHLY -> anchor(YearMonth.from(start).plusMonths(1));
    };
  }

  private LocalDate anchor(YearMonth month) {
    return month.atDay(Math.min(resetDay, month.lengthOfMonth()));
  }

  private Instant midnight(LocalDate date) {
    return date.atStartOfDay(zone).toInstant();
  }

  /** Unique per window of one period: each window starts on its own date (month, for monthly). */
  private String key(LocalDate start) {
    return switch (period) {
      case DAILY -> "day-" + start;
      case WEEKLY -> "week-" + start;
      case MONTHLY -> "month-" + YearMonth.from(start);
    };
  }

  private static String closestZone(String text) {
    if (text == null || text.isBlank()) {
      return null;
    }
    return Spelling.closestIgnoringCase(text, ZoneId.getAvailableZoneIds());
  }
}
