package dev.keyward.llm.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BudgetPeriodTest {

  private static final ZoneId PARIS = ZoneId.of("Europe/Paris");
  private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");
  /** Brazil moved its clocks at midnight until 2019: a day with no 00:00 and one with two 23:xx. */
  private static final ZoneId SAO_PAULO = ZoneId.of("America/Sao_Paulo");

  private static Instant local(String dateTime, ZoneId zone) {
    return LocalDateTime.parse(dateTime).atZone(zone).toInstant();
  }

  @Test
  void monthlyWindowRunsFromTheFirstToTheFirstInUtc() {
    Clock clock = Clock.fixed(Instant.parse("2026-12-17T09:30:00Z"), ZoneOffset.UTC);
    Window window = BudgetPeriod.monthly(1, ZoneOffset.UTC).windowAt(clock.instant());
    assertEquals("month-2026-12", window.key());
    assertEquals(Instant.parse("2026-12-01T00:00:00Z"), window.start());
    assertEquals(Instant.parse("2027-01-01T00:00:00Z"), window.end());
  }

  @Test
  void resetDayFifteenPutsTheFourteenthInThePreviousCycle() {
    BudgetPeriod period = BudgetPeriod.monthly(15, PARIS);
    Window before = period.windowAt(local("2026-03-14T23:59:59", PARIS));
    Window after = period.windowAt(local("2026-03-15T00:00:00", PARIS));
    assertEquals("month-2026-02", before.key());
    assertEquals(local("2026-02-15T00:00", PARIS), before.start());
    assertEquals(after.start(), before.end());
    assertEquals("month-2026-03", after.key());
  }

  @Test
  void aResetDayPastTheEndOfAShortMonthFallsOnItsLastDay() {
    BudgetPeriod period = BudgetPeriod.monthly(31, ZoneOffset.UTC);
    Window january = period.windowAt(Instant.parse("2027-02-10T12:00:00Z"));
    assertEquals(Instant.parse("2027-01-31T00:00:00Z"), january.start());
    assertEquals(Instant.parse("2027-02-28T00:00:00Z"), january.end());
    Window february = period.windowAt(Instant.parse("2027-03-30T12:00:00Z"));
    assertEquals(Instant.parse("2027-02-28T00:00:00Z"), february.start());
    assertEquals(Instant.parse("2027-03-31T00:00:00Z"), february.end());
    assertEquals("month-2027-02", february.key());
  }

  @Test
  void aLeapYearsFebruaryEndsOnThe29th() {
    BudgetPeriod period = BudgetPeriod.monthly(30, ZoneOffset.UTC);
    Window window = period.windowAt(Instant.parse("2028-03-01T00:00:00Z"));
    assertEquals(Instant.parse("2028-02-29T00:00:00Z"), window.start());
    assertEquals(Instant.parse("2028-03-30T00:00:00Z"), window.end());
  }

  @Test
  void theDayClocksSpringForwardLasts23Hours() {
    Window day = BudgetPeriod.daily(PARIS).windowAt(local("2026-03-29T12:00", PARIS));
    assertEquals("day-2026-03-29", day.key());
    assertEquals(Duration.ofHours(23), Duration.between(day.start(), day.end()));
  }

  @Test
  void theDayClocksFallBackLasts25Hours() {
    Window day = BudgetPeriod.daily(NEW_YORK).windowAt(local("2026-11-01T12:00", NEW_YORK));
    assertEquals(Duration.ofHours(25), Duration.between(day.start(), day.end()));
    assertEquals(Instant.parse("2026-11-01T04:00:00Z"), day.start());
  }

  @Test
  void aMonthWithADstChangeStillEndsAtLocalMidnight() {
    Window march = BudgetPeriod.monthly(1, PARIS).windowAt(local("2026-03-20T08:00", PARIS));
    assertEquals(Instant.parse("2026-02-28T23:00:00Z"), march.start());
    assertEquals(Instant.parse("2026-03-31T22:00:00Z"), march.end());
  }

  @Test
  void aMidnightThatDoesNotExistStartsTheDayAtItsFirstValidTime() {
    // 2018-11-04 in São Paulo: clocks jumped from 00:00 to 01:00.
    Window day = BudgetPeriod.daily(SAO_PAULO).windowAt(Instant.parse("2018-11-04T12:00:00Z"));
    assertEquals(local("2018-11-04T01:00", SAO_PAULO), day.start());
    assertEquals(Duration.ofHours(23), Duration.between(day.start(), day.end()));
  }

  @Test
  void aMidnightWhereClocksGoBackEndsTheDayAfter25Hours() {
    // 2018-02-18 00:00 in São Paulo went back to 2018-02-17 23:00: the repeated hour is still
    // February 17, and February 18 starts at the midnight that follows it.
    BudgetPeriod daily = BudgetPeriod.daily(SAO_PAULO);
    Instant secondHalfPast = Instant.parse("2018-02-18T02:30:00Z");
    Window window = daily.windowAt(secondHalfPast);
    assertEquals("day-2018-02-17", window.key());
    assertEquals(Instant.parse("2018-02-17T02:00:00Z"), window.start());
    assertEquals(Instant.parse("2018-02-18T03:00:00Z"), window.end());
    assertEquals(Duration.ofHours(25), Duration.between(window.start(), window.end()));
  }

  @Test
  void weeklyWindowsStartOnTheResetWeekday() {
    BudgetPeriod sundays = BudgetPeriod.weekly(DayOfWeek.SUNDAY, ZoneOffset.UTC);
    Window week = sundays.windowAt(Instant.parse("2026-12-02T10:00:00Z")); // a Wednesday
    assertEquals("week-2026-11-29", week.key());
    assertEquals(Instant.parse("2026-12-06T00:00:00Z"), week.end());
    Window onSunday = sundays.windowAt(Instant.parse("2026-12-06T00:00:00Z"));
    assertEquals("week-2026-12-06", onSunday.key());
  }

  @Test
  void windowsTileTimeWithoutGapsOverlapsOrRepeatedKeys() {
    Random random = new Random(18);
    for (ZoneId zone : List.of(ZoneOffset.UTC, PARIS, NEW_YORK, SAO_PAULO,
        ZoneId.of("Australia/Lord_Howe"), ZoneId.of("Asia/Kathmandu"))) {
      for (BudgetPeriod period : List.of(BudgetPeriod.daily(zone),
          BudgetPeriod.weekly(DayOfWeek.of(1 + random.nextInt(7)), zone),
          BudgetPeriod.monthly(1, zone), BudgetPeriod.monthly(29, zone),
          BudgetPeriod.monthly(31, zone))) {
        Set<String> keys = new HashSet<>();
        Window window = period.windowAt(Instant.parse("2017-01-01T00:00:00Z"));
        while (window.start().isBefore(Instant.parse("2029-01-01T00:00:00Z"))) {
          assertTrue(keys.add(window.key()), period + " repeats " + window.key());
          Instant inside = window.start().plusMillis(
              (long) (random.nextDouble() * Duration.between(window.start(), window.end()).toMillis()));
          assertEquals(window, period.windowAt(inside), period + " at " + inside);
          assertEquals(window, period.windowAt(window.end().minusNanos(1)));
          Window next = period.windowAt(window.end());
          assertEquals(window.end(), next.start(), period.describe());
          assertNotEquals(window.key(), next.key());
          window = next;
        }
      }
    }
  }

  @Test
  void aResetDayOutOfRangeIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> BudgetPeriod.monthly(0, PARIS));
    assertThrows(IllegalArgumentException.class, () -> BudgetPeriod.monthly(32, PARIS));
    assertThrows(IllegalArgumentException.class,
        () -> new BudgetPeriod(Period.WEEKLY, 8, PARIS));
    assertThrows(IllegalArgumentException.class, () -> new BudgetPeriod(Period.DAILY, 2, PARIS));
  }

  @Test
  void anUnknownTimezoneNamesTheClosestOne() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> BudgetPeriod.zone("Europe/Pari"));
    assertTrue(e.getMessage().contains("did you mean 'Europe/Paris'"), e.getMessage());
    assertEquals(PARIS, BudgetPeriod.zone("Europe/Paris"));
    assertEquals(ZoneOffset.ofHours(2), BudgetPeriod.zone("+02:00"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> BudgetPeriod.zone("Mars/Base"))
        .getMessage().contains("IANA name"));
  }

  @Test
  void weekdaysAreReadByNameOrIsoNumber() {
    assertEquals(DayOfWeek.MONDAY, BudgetPeriod.weekday("monday"));
    assertEquals(DayOfWeek.SUNDAY, BudgetPeriod.weekday("7"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> BudgetPeriod.weekday("8"))
        .getMessage().contains("monday … sunday"));
  }

  @Test
  void periodsAreReadWithTheFix() {
    assertEquals(Period.WEEKLY, Period.parse("weekly"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Period.parse("Monthly"))
        .getMessage().contains("as 'monthly'"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Period.parse("yearly"))
        .getMessage().contains("daily, weekly or monthly"));
  }

  @Test
  void minuteWindowsAreUtcMinutes() {
    Window minute = Window.minuteAt(Instant.parse("2026-12-01T10:15:59.999Z"));
    assertEquals("2026-12-01T10:15Z", minute.key());
    assertEquals(Instant.parse("2026-12-01T10:16:00Z"), minute.end());
  }
}
