package dev.keyward.proxy.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class AuditPagerTest {

  /** Entries 0..n-1; the even ones are denied. */
  static AuditPager.Page page(AuditFilter filter, AuditPager.Cursor cursor, int size, int n) {
    AuditPager pager = new AuditPager(filter, cursor, size);
    for (int i = 0; i < n; i++) {
      pager.accept(new JsonObject().put("seq", i).put("type", "request")
          .put("time", "2026-12-01T10:00:00Z").put("decision", i % 2 == 0 ? "denied" : "allowed"));
    }
    return pager.page();
  }

  static List<Long> seqs(AuditPager.Page page) {
    return page.entries().stream().map(e -> e.getLong("seq")).toList();
  }

  @Test
  void theNewestPageHoldsTheLatestEntriesNewestFirst() {
    AuditPager.Page page = page(AuditFilter.NONE, new AuditPager.Cursor.Newest(), 3, 10);
    assertEquals(List.of(9L, 8L, 7L), seqs(page));
    assertEquals(OptionalLong.of(7), page.olderBefore());
    assertEquals(OptionalLong.empty(), page.newerAfter());
  }

  @Test
  void olderPagesFollowTheCursorToTheStart() {
    AuditPager.Page second = page(AuditFilter.NONE, new AuditPager.Cursor.Before(7), 3, 10);
    assertEquals(List.of(6L, 5L, 4L), seqs(second));
    assertEquals(OptionalLong.of(6), second.newerAfter());
    AuditPager.Page last = page(AuditFilter.NONE, new AuditPager.Cursor.Before(1), 3, 10);
    assertEquals(List.of(0L), seqs(last));
    assertEquals(OptionalLong.empty(), last.olderBefore());
  }

  @Test
  void aNewerPageHoldsTheEntriesJustAfterTheCursor() {
    AuditPager.Page page = page(AuditFilter.NONE, new AuditPager.Cursor.After(3), 3, 10);
    assertEquals(List.of(6L, 5L, 4L), seqs(page));
    assertEquals(OptionalLong.of(4), page.olderBefore());
    assertEquals(OptionalLong.of(6), page.newerAfter());
  }

  @Test
  void pagingCountsOnlyMatchingEntries() {
    AuditFilter denied = AuditFilter.parse(Map.of("decision", "denied")::get).filter();
    AuditPager.Page page = page(denied, new AuditPager.Cursor.Newest(), 2, 10);
    assertEquals(List.of(8L, 6L), seqs(page));
    assertEquals(List.of(4L, 2L), seqs(page(denied, new AuditPager.Cursor.Before(6), 2, 10)));
  }

  @Test
  void walkingOlderPagesVisitsEveryEntryOnce() {
    List<Long> seen = new java.util.ArrayList<>();
    AuditPager.Cursor cursor = new AuditPager.Cursor.Newest();
    while (true) {
      AuditPager.Page page = page(AuditFilter.NONE, cursor, 7, 50);
      seen.addAll(seqs(page));
      if (page.olderBefore().isEmpty()) {
        break;
      }
      cursor = new AuditPager.Cursor.Before(page.olderBefore().getAsLong());
    }
    assertEquals(LongStream.range(0, 50).map(i -> 49 - i).boxed().toList(), seen);
  }

  @Test
  void aPagePastTheEndOffersTheWayBack() {
    AuditPager.Page page = page(AuditFilter.NONE, new AuditPager.Cursor.After(20), 3, 10);
    assertTrue(page.entries().isEmpty());
    assertEquals(OptionalLong.of(21), page.olderBefore());
  }

  @Test
  void cursorsAreReadFromParameters() {
    assertEquals(new AuditPager.Cursor.Before(5), AuditPager.cursor("5", null));
    assertEquals(new AuditPager.Cursor.After(5), AuditPager.cursor("", "5"));
    assertEquals(new AuditPager.Cursor.Newest(), AuditPager.cursor(null, null));
  }
}
