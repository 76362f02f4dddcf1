package dev.keyward.proxy.budget;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyward.vault.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

/**
 * The embedded budget store's files in its directory: a snapshot ({@code budgets.json}, replaced
 * atomically), a journal of changes since ({@code budgets.journal}, one line per change, {@link
 * JournalLine}, appended a batch at a time), and a lock file that keeps a second process out. The
 * snapshot names the last journal line it holds, so a journal left behind by a crash between
 * writing the snapshot and emptying the journal is not applied twice.
 *
 * <p>Journals of the first format (each line the whole new state of the counters it touched,
 * with a snapshot of format 1) are still read, so an upgrade keeps its spend. The other way does
 * not work: a release that knows only format 1 refuses a snapshot of format 2 as unreadable.
 */
final class LedgerFiles implements AutoCloseable {

  static final String SNAPSHOT = "budgets.json";
  static final String JOURNAL = "budgets.journal";
  static final String LOCK = "budgets.lock";

  /** One counter as stored. */
  record StoredCounter(
      @JsonProperty("key") String key,
      @JsonProperty("value") long value,
      @JsonProperty("held") long held,
      @JsonProperty("expires_at") long expiresAtMillis,
      @JsonProperty("holds") Map<String, long[]> holds) {}

  /**
   * @param seq the last journal line it holds (format 2)
   * @param open the open reservations and when they may be forgotten (format 2)
   */
  record Snapshot(@JsonProperty("format") int format,
      @JsonProperty("seq") long seq,
      @JsonProperty("counters") List<StoredCounter> counters,
      @JsonProperty("open") Map<String, Long> open) {}

  /** Snapshots written now; format 1 had whole counters in its journal and no sequence. */
  static final int FORMAT = 2;

  /** How the journal's bytes are written; tests inject one that fails part-way, as a full disk. */
  @FunctionalInterface
  interface JournalWriter {
    JournalWriter FILE = FileChannel::write;

    /** Writes some of {@code buffer}'s remaining bytes, as {@link FileChannel#write} does. */
    int write(FileChannel journal, ByteBuffer buffer) throws IOException;

    /** Cuts a failed append back; tests make it fail. */
    default void truncate(FileChannel journal, long size) throws IOException {
      journal.truncate(size);
    }
  }

  /**
   * An append failed and could not be cut back: the journal may end with whole lines of a batch
   * that was never answered, which a read would replay, so memory can no longer be made to match
   * what was answered. The store stops.
   */
  static final class CutBackFailed extends IOException {
    CutBackFailed(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private final Path dir;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final JournalWriter writer;
  private FileChannel journal;

  private LedgerFiles(Path dir, FileChannel lockChannel, FileLock lock, JournalWriter writer) {
    this.dir = dir;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.writer = writer;
  }

  /**
   * Takes the directory for this process.
   *
   * @throws IOException when another process (or another store in this one) holds it
   */
  static LedgerFiles open(Path dir, JournalWriter writer) throws IOException {
    AtomicFiles.createPrivateDirectories(dir);
    FileChannel channel = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      channel.close();
      throw new IOException("another Keyward uses the budget directory " + dir + "; the embedded"
          + " budget store serves one process: for several replicas use budgets.store: redis");
    }
    return new LedgerFiles(dir, channel, lock, writer);
  }

  /**
   * Reads the snapshot into {@code table}, then replays the journal over it. A last line without
   * its newline is a write cut by a crash, and is ignored.
   *
   * @return the sequence number of the last line read (or of the snapshot)
   */
  long read(CounterTable table) throws IOException {
    Snapshot snapshot = null;
    try {
      snapshot = JSON.readValue(Files.readAllBytes(dir.resolve(SNAPSHOT)), Snapshot.class);
    } catch (NoSuchFileException e) {
      // a new directory
    } catch (IOException e) {
      throw new IOException("the budget snapshot " + dir.resolve(SNAPSHOT) + " is unreadable: "
          + e.getMessage(), e);
    }
    boolean firstFormat = snapshot == null || snapshot.format() < FORMAT;
    long seq = snapshot == null ? 0 : snapshot.seq();
    if (snapshot != null) {
      for (StoredCounter s : snapshot.counters()) {
        if (!CounterKeys.isSettled(s.key())) { // format 1 remembered settled reservations
          table.restore(s);
        }
      }
      if (snapshot.open() != null) {
        snapshot.open().forEach(table::open);
      }
    }
    byte[] journalBytes;
    try {
      journalBytes = Files.readAllBytes(dir.resolve(JOURNAL));
    } catch (NoSuchFileException e) {
      return seq;
    }
    String[] lines = new String(journalBytes, StandardCharsets.UTF_8).split("\n", -1);
    long after = seq;
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].isEmpty()) {
        continue;
      }
      boolean last = i == lines.length - 1; // no newline after it: a write cut by a crash
      try {
        if (JournalLine.isDelta(lines[i])) {
          if (!last) {
            seq = Math.max(seq, JournalLine.replay(lines[i], after, table));
          }
        } else {
          StoredCounter[] line = JSON.readValue(lines[i], StoredCounter[].class);
          if (!last && firstFormat) {
            for (StoredCounter s : line) {
              if (!CounterKeys.isSettled(s.key())) {
                table.restore(s);
              }
            }
          }
        }
      } catch (IOException e) {
        if (!last) {
          throw corruptLine(i + 1, e);
        }
      }
    }
    return seq;
  }

  /** A corrupt line that is not the last: the start stops, and the message says the way out. */
  private IOException corruptLine(int number, IOException cause) {
    Path journal = dir.resolve(JOURNAL);
    return new IOException("line " + number + " of the budget journal " + journal + " is corrupt;"
        + " to start, keep the lines before it (head -n " + (number - 1) + " " + journal + " > "
        + journal + ".kept, move " + JOURNAL + " aside and rename " + JOURNAL + ".kept to it),"
        + " or move " + JOURNAL + " aside to start from the last snapshot (" + SNAPSHOT + ")"
        + " alone. The changes from that line on (or since the snapshot) are lost: holds they"
        + " settled are charged in full, and calls they admitted are not counted", cause);
  }

  /**
   * Appends a batch of whole lines in one write; the bytes reach the OS before this returns (a
   * process crash keeps them). When the write fails part-way (a full disk), the journal is cut
   * back to where it was: the batch is all there or not at all, and the next line starts on a
   * line of its own. So it is after an {@link Error} during the write too.
   *
   * @throws CutBackFailed when the cut-back failed too: nothing may be appended any more
   */
  void append(ByteBuffer buffer) throws IOException {
    if (journal == null) {
      journal = FileChannel.open(dir.resolve(JOURNAL), StandardOpenOption.CREATE,
          StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    }
    long before = journal.size();
    try {
      while (buffer.hasRemaining()) {
        writer.write(journal, buffer);
      }
    } catch (Throwable e) {
      try {
        writer.truncate(journal, before);
      } catch (IOException cut) {
        // Whole lines of the unanswered batch may stay (a read would replay them) and its cut
        // last line would be followed by the next append: stop appending. A new start folds what
        // the journal holds into a snapshot, dropping the cut line.
        CutBackFailed failed = new CutBackFailed("the budget journal could not be cut back after"
            + " a failed write (" + e + "): " + cut.getMessage(), cut);
        failed.addSuppressed(e);
        throw failed;
      }
      throw e;
    }
  }

  long journalSize() throws IOException {
    return journal == null ? 0 : journal.size();
  }

  /** To the disk, so a power loss keeps what was appended too. */
  void sync() throws IOException {
    if (journal != null) {
      journal.force(false);
    }
  }

  /**
   * Writes a snapshot of every counter and open reservation, then empties the journal it holds.
   *
   * @param seq the last journal line the table holds
   */
  void compact(CounterTable table, long seq) throws IOException {
    AtomicFiles.write(dir.resolve(SNAPSHOT), JSON.writeValueAsBytes(
        new Snapshot(FORMAT, seq, table.stored(), table.openReservations())));
    if (journal != null) {
      journal.truncate(0);
      journal.force(true);
    } else {
      Files.deleteIfExists(dir.resolve(JOURNAL));
    }
  }

  @Override
  public void close() throws IOException {
    try {
      if (journal != null) {
        journal.close();
      }
    } finally {
      lock.release();
      lockChannel.close();
    }
  }
}
