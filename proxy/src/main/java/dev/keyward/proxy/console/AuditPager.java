package dev.keyward.proxy.console;

import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.OptionalLong;

/**
 * One page of matching audit entries, newest first, collected in one pass over the log (oldest
 * first) in memory for one page only, however large the log. Pages are cursors on the entries'
 * sequence numbers, so a page stays put while Keyward appends: the newest page, the page of
 * entries older than {@code before}, or the page of entries newer than {@code after}.
 */
public final class AuditPager {

  public static final int DEFAULT_SIZE = 50;
  public static final int MAX_SIZE = 500;

  /** Where a page starts. */
  public sealed interface Cursor {
    /** The newest entries. */
    record Newest() implements Cursor {}

    /** The newest entries with a sequence number below {@code seq}. */
    record Before(long seq) implements Cursor {}

    /** The oldest entries with a sequence number above {@code seq}. */
    record After(long seq) implements Cursor {}
  }

  /**
   * A page: its entries newest first, and the cursors of the pages beside it (empty when there
   * is no such page).
   */
  public record Page(List<JsonObject> entries, OptionalLong olderBefore, OptionalLong newerAfter) {}

  private final AuditFilter filter;
  private final Cursor cursor;
  private final int size;
  private final Deque<JsonObject> window = new ArrayDeque<>();
  private boolean olderExist;
  private boolean newerExist;

  public AuditPager(AuditFilter filter, Cursor cursor, int size) {
    if (size < 1 || size > MAX_SIZE) {
      throw new IllegalArgumentException("page size must be 1-" + MAX_SIZE);
    }
    this.filter = filter;
    this.cursor = cursor;
    this.size = size;
  }

  /** Reads a cursor from {@code before} / {@code after} parameters; the newest page otherwise. */
  public static Cursor cursor(String before, String after) {
    if (before != null && !before.isBlank()) {
      return new Cursor.Before(Long.parseLong(before.strip()));
    }
    if (after != null && !after.isBlank()) {
      return new Cursor.After(Long.parseLong(after.strip()));
    }
    return new Cursor.Newest();
  }

  /** Offers the next entry of the log, oldest first. */
  public void accept(JsonObject entry) {
    if (!filter.matches(entry)) {
      return;
    }
    long seq = entry.getLong("seq", -1L);
    if (cursor instanceof Cursor.Before before && seq >= before.seq()) {
      newerExist = true;
    } else if (cursor instanceof Cursor.After after) {
      if (seq <= after.seq()) {
        olderExist = true;
      } else if (window.size() < size) {
        window.addLast(entry);
      } else {
        newerExist = true;
      }
    } else {
      keepLatest(entry);
    }
  }

  private void keepLatest(JsonObject entry) {
    window.addLast(entry);
    if (window.size() > size) {
      window.removeFirst();
      olderExist = true;
    }
  }

  public Page page() {
    List<JsonObject> newestFirst = new ArrayList<>(window);
    Collections.reverse(newestFirst);
    OptionalLong older = olderExist && !newestFirst.isEmpty()
        ? OptionalLong.of(seq(newestFirst.get(newestFirst.size() - 1))) : OptionalLong.empty();
    OptionalLong newer = newerExist && !newestFirst.isEmpty()
        ? OptionalLong.of(seq(newestFirst.get(0))) : OptionalLong.empty();
    if (newestFirst.isEmpty()) {
      // Past either end: offer the way back.
      if (cursor instanceof Cursor.Before b && newerExist) {
        newer = OptionalLong.of(b.seq() - 1);
      } else if (cursor instanceof Cursor.After a && olderExist) {
        older = OptionalLong.of(a.seq() + 1);
      }
    }
    return new Page(List.copyOf(newestFirst), older, newer);
  }

  private static long seq(JsonObject entry) {
    return entry.getLong("seq", -1L);
  }
}
