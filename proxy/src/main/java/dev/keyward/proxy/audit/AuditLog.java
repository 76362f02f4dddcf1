package dev.keyward.proxy.audit;

import com.google.crypto.tink.PublicKeySign;
import dev.keyward.vault.AtomicFiles;
import dev.keyward.vault.KvException;
import dev.keyward.vault.KvStore;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tamper-evident audit trail: JSON lines in a rotating file (and, if asked, on stdout), each
 * chained to the previous by hash, with signed checkpoints written every interval, on rotation
 * and at shutdown, and witnessed in the shared store. One writer thread does all I/O; the event
 * loops only enqueue. When entries cannot be written, they are kept and retried, and the log stops
 * {@link #accepting()} new requests unless configured to fail open.
 */
public final class AuditLog implements AuditSink, AutoCloseable {

  /** What the proxy does while the audit log cannot be written. */
  public enum OnFailure {
    FAIL_CLOSED,
    FAIL_OPEN
  }

  /**
   * @param file the current log file; rotated files sit beside it as {@code audit-<time>-<seq>.jsonl}
   * @param stdout also print every line to the {@code stdout} stream given to the log
   * @param instance names this log in checkpoints, anchors and the witness
   * @param witnessInterval how often the head of the log (its last line) is witnessed in the store
   *     when it moved: what can be cut unseen is at most this much of the newest records
   * @param publicKey a pinned public key: Keyward refuses to sign with any other, and {@code audit
   *     verify} trusts it rather than the store
   */
  public record Settings(Optional<Path> file, boolean stdout, long maxFileBytes,
      Duration checkpointInterval, OnFailure onFailure, String instance, Duration witnessInterval,
      Optional<Path> publicKey) {

    public static final Duration DEFAULT_WITNESS_INTERVAL = Duration.ofSeconds(2);

    public Settings(Optional<Path> file, boolean stdout, long maxFileBytes,
        Duration checkpointInterval, OnFailure onFailure, String instance) {
      this(file, stdout, maxFileBytes, checkpointInterval, onFailure, instance,
          DEFAULT_WITNESS_INTERVAL, Optional.empty());
    }
  }

  /**
   * What the writer last wrote, for the witness thread to record once it is on disk.
   *
   * @param channel the file it was appended to, forced before the head is witnessed
   */
  private record Head(long checkpointSeq, String checkpointPrev, String checkpointTime,
      long seq, String hash, String time, FileChannel channel) {}

  /**
   * What the files must reach when the writer opens them: a line's sequence number and hash, and
   * who knew of it ({@link AuditChain#BY_WITNESS}, {@link AuditChain#BY_WRITER}).
   */
  private record Expected(long seq, String hash, String time, String by) {}

  /** Makes what was appended to a channel durable: {@link FileChannel#force}, or a test's probe. */
  @FunctionalInterface
  interface Fsync {
    Fsync FORCE = channel -> channel.force(true);

    void force(FileChannel channel) throws IOException;
  }

  static final int QUEUE_CAPACITY = 100_000;
  private static final long BATCH_LINGER_MILLIS = 1;
  private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
  private static final DateTimeFormatter ROTATED =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private final Settings settings;
  private final PublicKeySign signer;
  private final KvStore witnessStore;
  private final Clock clock;
  private final PrintStream stdout;
  private final BlockingQueue<AuditEntry> queue = new LinkedBlockingQueue<>(QUEUE_CAPACITY);
  private final AtomicLong writeFailures = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final Thread writer;
  private final ScheduledExecutorService witnessThread;
  private final AtomicReference<Head> head = new AtomicReference<>();
  /** The highest sequence number known to be on disk (forced). */
  private final AtomicLong durableSeq = new AtomicLong(-1);
  private final Fsync fsync;
  /** The store's witness when Keyward started, until the files were first compared with it. */
  private final Optional<AuditWitness> witnessAtStart;
  /** Names this log in the witness (set when the files are first opened). */
  private volatile String chain;
  /** The witness a gap was recorded against at start: the one this log may replace. */
  private volatile Optional<AuditWitness> replacing = Optional.empty();
  private Head witnessed; // witness thread only
  private int witnessFailures; // witness thread only
  private volatile boolean healthy = true;
  private volatile boolean closing;

  // Writer-thread state.
  private boolean opened;
  private FileChannel channel;
  private long size;
  private long seq;
  private String prev = AuditChain.GENESIS;
  private Instant lastCheckpoint;
  private boolean unsealed;
  private int failingFor;
  private long checkpointSeq = -1;
  private String checkpointPrev = "";
  private String checkpointTime = "";
  private final AuditLines lines = new AuditLines();

  public AuditLog(Settings settings, PublicKeySign signer, KvStore witnessStore, Clock clock,
      PrintStream stdout) {
    this(settings, signer, witnessStore, clock, stdout, Fsync.FORCE);
  }

  AuditLog(Settings settings, PublicKeySign signer, KvStore witnessStore, Clock clock,
      PrintStream stdout, Fsync fsync) {
    this.fsync = fsync;
    this.settings = settings;
    this.signer = signer;
    this.witnessStore = witnessStore;
    this.clock = clock;
    this.stdout = settings.stdout() ? stdout : null;
    this.lastCheckpoint = clock.instant();
    this.witnessAtStart = settings.file().isPresent() ? loadWitness() : Optional.empty();
    if (settings.file().isPresent()) {
      try {
        open(settings.file().get());
      } catch (IOException e) {
        // Not fatal: the writer retries, and requests are refused meanwhile (or served, if
        // configured to fail open). A volume mounted late or a fixed permission recovers.
        healthy = false;
        writeFailures.incrementAndGet();
        LOG.error("cannot open the audit log {}: {}", settings.file().get(), e.toString());
      }
    }
    writer = new Thread(this::run, "keyward-audit");
    writer.setDaemon(true);
    writer.start();
    // The store is written from its own thread: a slow or unreachable Vault never holds up the
    // audit writer, and requests cost nothing extra (the writer already hashes every line).
    witnessThread = Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, "keyward-audit-witness");
      thread.setDaemon(true);
      return thread;
    });
    long every = Math.max(1, settings.witnessInterval().toMillis());
    witnessThread.scheduleWithFixedDelay(this::witness, every, every, TimeUnit.MILLISECONDS);
  }

  /**
   * The store's witness, to compare the files with. Unreadable, the log still opens: a cut then
   * shows as a witness the log does not reach (and another chain's is never overwritten).
   */
  private Optional<AuditWitness> loadWitness() {
    try {
      return AuditWitness.load(witnessStore, settings.instance());
    } catch (KvException | RuntimeException e) {
      LOG.error("cannot read the audit witness of instance {} from the store: the files are not"
          + " compared with it at this start: {}", settings.instance(), e.getMessage());
      return Optional.empty();
    }
  }

  @Override
  public void record(AuditEntry entry) {
    if (!queue.offer(entry)) {
      healthy = false;
      writeFailures.incrementAndGet();
      if (dropped.getAndIncrement() == 0) {
        LOG.error("audit queue full ({} entries): entries are being dropped", QUEUE_CAPACITY);
      }
    }
  }

  @Override
  public boolean accepting() {
    return healthy || settings.onFailure() == OnFailure.FAIL_OPEN;
  }

  /** Failed writes since start, for the {@code keyward_audit_write_failures_total} metric. */
  public long writeFailures() {
    return writeFailures.get();
  }

  /** True when the log is writable (for readiness). */
  public boolean healthy() {
    return healthy;
  }

  /** Writes what is queued, a final checkpoint, witnesses it in the store, and stops. */
  @Override
  public void close() throws InterruptedException {
    closing = true;
    writer.join(TimeUnit.SECONDS.toMillis(30));
    witnessThread.shutdown();
    witnessThread.awaitTermination(30, TimeUnit.SECONDS);
    witness(); // the final checkpoint, before the store is closed
  }

  /**
   * Records the head and the latest checkpoint in the store, when they moved; forces the file
   * first, so that the store never vouches for a line a power cut could still take back.
   */
  private synchronized void witness() {
    Head latest = head.get();
    if (latest == null || latest.equals(witnessed)) {
      return;
    }
    try {
      durable(latest);
      new AuditWitness(settings.instance(), latest.checkpointSeq(), latest.checkpointPrev(),
          latest.checkpointTime(), latest.seq(), latest.hash(), latest.time(), chain)
          .store(witnessStore, replacing);
      witnessed = latest;
      witnessFailures = 0;
      replacing = Optional.empty(); // the witness is this log's now
    } catch (AuditWitness.ForeignChainException e) {
      if (witnessFailures++ % 60 == 0) {
        LOG.error("the audit log's head (seq {}) is not witnessed: {}", latest.seq(),
            e.getMessage());
      }
    } catch (IOException | KvException | RuntimeException e) {
      if (witnessFailures++ % 60 == 0) {
        LOG.warn("the audit log's head (seq {}) is written but not witnessed in the store; retrying"
            + ": {}", latest.seq(), e.getMessage());
      }
    }
  }

  /**
   * Forces the file that holds {@code latest}, unless the writer already did (at a checkpoint).
   * The writer forces every file before closing it, so a channel closed meanwhile is on disk.
   */
  private void durable(Head latest) throws IOException {
    if (latest.seq() <= durableSeq.get()) {
      return;
    }
    try {
      fsync.force(latest.channel());
    } catch (ClosedChannelException e) {
      if (latest.seq() <= durableSeq.get()) {
        return;
      }
      throw e;
    }
    durableSeq.accumulateAndGet(latest.seq(), Math::max);
  }

  /** After the writer appended {@code line} as {@code lineSeq}: what the witness should record. */
  private void moved(long lineSeq, String lineHash) {
    head.set(new Head(checkpointSeq, checkpointPrev, checkpointTime, lineSeq, lineHash,
        clock.instant().toString(), channel));
  }

  /** Forces the current file and closes it: every line in a closed file is on disk. */
  private void closeChannel() throws IOException {
    FileChannel closing = channel;
    channel = null;
    try {
      if (durableSeq.get() < seq - 1) { // not already forced by a checkpoint
        fsync.force(closing);
        durableSeq.accumulateAndGet(seq - 1, Math::max);
      }
    } finally {
      closing.close();
    }
  }

  private void run() {
    List<AuditEntry> batch = new ArrayList<>();
    while (!closing || !queue.isEmpty() || !batch.isEmpty()) {
      try {
        if (batch.isEmpty()) {
          AuditEntry first = queue.poll(200, TimeUnit.MILLISECONDS);
          if (first != null) {
            batch.add(first);
            queue.drainTo(batch, 1000);
          }
        }
        if (settings.file().isPresent() && channel == null) {
          open(settings.file().get()); // failed before: retried until it works
        }
        boolean wrote = !batch.isEmpty();
        if (wrote) {
          writeBatch(batch);
          batch.clear();
        }
        if (unsealed && !clock.instant().isBefore(lastCheckpoint.plus(settings.checkpointInterval()))) {
          checkpoint();
        }
        recovered();
        failingFor = 0;
        if (wrote && !closing) {
          // Under load, let the next lines gather: one write per millisecond rather than per
          // request, and request threads rarely have to wake this one.
          Thread.sleep(BATCH_LINGER_MILLIS);
        }
      } catch (IOException | GeneralSecurityException e) {
        // Keep the batch; retry after a pause. Requests are refused meanwhile (fail closed).
        healthy = false;
        writeFailures.incrementAndGet();
        if (failingFor++ % 60 == 0) { // once a minute while it lasts, not every retry
          LOG.error("audit log write failed; retrying every second: {}", e.toString());
        }
        if (closing && failingFor > 2) {
          LOG.error("audit log still failing at shutdown; {} entries not written",
              batch.size() + queue.size());
          return;
        }
        sleep(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    try {
      if (unsealed) {
        checkpoint();
      }
      if (channel != null) {
        closeChannel();
      }
    } catch (IOException | GeneralSecurityException e) {
      LOG.error("final audit checkpoint failed: {}", e.getMessage());
    }
  }

  private void recovered() {
    if (!healthy && queue.remainingCapacity() > 0) {
      healthy = true;
      long lost = dropped.getAndSet(0);
      LOG.info("audit log writable again{}", lost == 0 ? "" : "; " + lost + " entries were dropped"
          + " while the queue was full");
    }
  }

  /**
   * Writes the batch, rotating whenever the file reaches its maximum size. Entries leave the batch
   * once written, so a failure part-way leaves exactly the unwritten ones for the retry.
   */
  private void writeBatch(List<AuditEntry> batch) throws IOException, GeneralSecurityException {
    while (!batch.isEmpty()) {
      // Lines are built first and appended in one write: a failure leaves the file as it was.
      long firstSeq = seq;
      String firstPrev = prev;
      lines.clear();
      List<String> printed = stdout == null ? null : new ArrayList<>();
      int written = 0;
      try {
        for (AuditEntry entry : batch) {
          prev = lines.append(seq, entry, prev);
          if (printed != null) {
            printed.add(lines.lastLine());
          }
          written++;
          seq++;
          if (channel != null && size + lines.size() >= settings.maxFileBytes()) {
            break;
          }
        }
        append(lines.bytes());
      } catch (IOException | RuntimeException e) {
        seq = firstSeq;
        prev = firstPrev;
        throw e;
      }
      batch.subList(0, written).clear();
      if (channel != null) {
        moved(seq - 1, prev);
      }
      if (printed != null) {
        printed.forEach(stdout::println);
      }
      unsealed = true;
      if (channel != null && size >= settings.maxFileBytes()) {
        rotate();
      }
    }
  }

  /** Appends whole lines; on failure (disk full) cuts the file back so no torn line stays. */
  private void append(String text) throws IOException {
    append(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
  }

  private void append(ByteBuffer bytes) throws IOException {
    if (channel == null) {
      return;
    }
    long before = size;
    try {
      while (bytes.hasRemaining()) {
        size += channel.write(bytes);
      }
    } catch (IOException e) {
      try {
        channel.truncate(before);
        size = before;
      } catch (IOException ignored) {
        // the retry will find out
      }
      throw e;
    }
  }

  /**
   * Signs the chain's head and fsyncs; the witness thread then records the checkpoint in the store
   * (and retries while the store cannot be written; the log itself goes on).
   */
  private void checkpoint() throws IOException, GeneralSecurityException {
    String time = clock.instant().toString();
    byte[] message = AuditChain.checkpointMessage(settings.instance(), seq, time, prev);
    JsonObject json = new JsonObject()
        .put("seq", seq)
        .put("type", AuditChain.CHECKPOINT)
        .put("time", time)
        .put("instance", settings.instance())
        .put("signature", Base64.getEncoder().encodeToString(signer.sign(message)))
        .put("prev", prev);
    String line = json.encode();
    append(line + "\n");
    if (channel != null) {
      fsync.force(channel);
      durableSeq.accumulateAndGet(seq, Math::max);
    }
    if (stdout != null) {
      stdout.println(line);
    }
    checkpointSeq = seq;
    checkpointPrev = prev;
    checkpointTime = time;
    prev = AuditChain.hash(line.getBytes(StandardCharsets.UTF_8));
    if (channel != null) {
      moved(seq, prev);
    }
    seq++;
    lastCheckpoint = clock.instant();
    unsealed = false;
  }

  private void rotate() throws IOException, GeneralSecurityException {
    checkpoint();
    closeChannel(); // if anything below fails, the writer reopens and the chain goes on
    Path file = settings.file().get();
    Path rotated = aside(file, "");
    Files.move(file, rotated);
    openNew(file, rotated.getFileName().toString());
  }

  /**
   * Opens the current file and continues its chain (or the newest set-aside file's, when the
   * current one is gone), or starts a log. Then checks that the files reach what the log is known
   * to hold: at start, the head the store witnessed; when the writer reopens the file, what it
   * wrote itself. If they do not (lines cut, the log deleted or replaced), Keyward still starts:
   * it goes on from what is left, after a signed {@link AuditChain#GAP} record saying what is
   * missing, which {@code audit verify} reports.
   */
  private void open(Path file) throws IOException {
    long seqBefore = seq;
    String prevBefore = prev;
    long checkpointSeqBefore = checkpointSeq;
    String checkpointPrevBefore = checkpointPrev;
    String checkpointTimeBefore = checkpointTime;
    try {
      openAndCheck(file);
    } catch (IOException | RuntimeException e) {
      // Nothing changed for the next attempt: it checks against the same expectation.
      seq = seqBefore;
      prev = prevBefore;
      checkpointSeq = checkpointSeqBefore;
      checkpointPrev = checkpointPrevBefore;
      checkpointTime = checkpointTimeBefore;
      if (channel != null) {
        FileChannel failed = channel;
        channel = null;
        try {
          failed.close();
        } catch (IOException ignored) {
          // already failing
        }
      }
      throw e;
    }
  }

  private void openAndCheck(Path file) throws IOException {
    AtomicFiles.createPrivateDirectories(file.toAbsolutePath().getParent());
    Optional<Expected> expected = expected();
    if (Files.exists(file) && Files.size(file) == 0) {
      Files.delete(file);
    }
    List<Path> files = AuditFiles.inOrder(file);
    Path last = files.isEmpty() ? null : files.get(files.size() - 1);
    Tail tail = last == null ? new Tail(Optional.empty(), false) : tail(last);
    long foundSeq = -1;
    String foundHash = "";
    JsonObject found = null;
    if (tail.lastLine().isPresent()) {
      found = new JsonObject(tail.lastLine().get());
      foundSeq = found.getLong("seq");
      foundHash = AuditChain.hash(tail.lastLine().get().getBytes(StandardCharsets.UTF_8));
    }
    seq = foundSeq + 1;
    prev = foundSeq < 0 ? AuditChain.GENESIS : foundHash; // nothing left: a new log
    boolean gap = expected.isPresent() && !reaches(files, foundSeq, foundHash, expected.get());
    if (found != null && AuditChain.CHECKPOINT.equals(found.getString("type"))) {
      checkpointSeq = foundSeq;
      checkpointPrev = found.getString("prev", "");
      checkpointTime = found.getString("time", "");
    } else if (gap) {
      checkpointSeq = -1; // the one this process knew of may be among the missing lines
      checkpointPrev = "";
      checkpointTime = "";
    }
    Optional<AuditWitness> witness = opened ? Optional.empty() : witnessAtStart;
    if (!gap && witness.isPresent() && checkpointSeq < witness.get().seq()) {
      checkpointSeq = witness.get().seq(); // still in the files, which reach the witness
      checkpointPrev = witness.get().prev();
      checkpointTime = witness.get().time();
    }
    if (!opened && !gap && witness.map(w -> !w.chain().isEmpty()).orElse(false)) {
      chain = witness.get().chain();
    } else if (!opened && !files.isEmpty()) {
      chain = AuditFiles.firstLineHash(files.get(0)).orElse(null);
    }
    boolean continuing = last != null && last.equals(file) && !tail.torn();
    if (continuing) {
      channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
      size = channel.size();
    } else if (last != null && last.equals(file)) {
      // A crash tore the last line: keep that file as it is for the record (verify reports the
      // torn line), and go on in a new file from the last complete line.
      Path torn = aside(file, "-torn");
      Files.move(file, torn);
      LOG.warn("the audit log ended with a torn line (crash?); kept as {}", torn);
      openNew(file, torn.getFileName().toString());
    } else {
      // The current file is gone: go on from the newest file set aside, or start a log.
      openNew(file, last == null ? null : last.getFileName().toString());
    }
    if (chain == null) {
      chain = prev; // a log started here: named after its first line
    }
    if (gap) {
      if (witness.isPresent()) {
        replacing = witness; // the witness this gap is recorded against may be replaced
      }
      writeGap(file, expected.get(), foundSeq, foundHash);
    } else if (continuing && foundSeq >= 0) {
      moved(seq - 1, prev);
    }
    opened = true;
  }

  /** What the files must reach: the witnessed head at start, then what this process wrote. */
  private Optional<Expected> expected() {
    if (opened) {
      return seq > 0 ? Optional.of(new Expected(seq - 1, prev, "", AuditChain.BY_WRITER))
          : Optional.empty();
    }
    return witnessAtStart.map(w -> new Expected(w.headSeq(), w.headHash(), w.headTime(),
        AuditChain.BY_WITNESS));
  }

  /** Whether the files, ending at {@code foundSeq}, hold the expected line. */
  private static boolean reaches(List<Path> files, long foundSeq, String foundHash,
      Expected expected) throws IOException {
    if (foundSeq < expected.seq()) {
      return false;
    }
    if (expected.hash().isEmpty()) {
      return true; // a witness from before heads were hashed: the sequence number is all it has
    }
    if (foundSeq == expected.seq()) {
      return foundHash.equals(expected.hash());
    }
    // Lines written after the head was last witnessed (a crash): find the head among them.
    return AuditFiles.lineHash(files, expected.seq()).map(expected.hash()::equals).orElse(false);
  }

  /**
   * Records, signed, that the files do not reach what the log was known to hold, and forces it to
   * disk. Its sequence number goes past the missing lines, so the witness never moves back.
   */
  private void writeGap(Path file, Expected expected, long foundSeq, String foundHash)
      throws IOException {
    long at = Math.max(seq, expected.seq() + 1);
    String time = clock.instant().toString();
    String signature;
    try {
      signature = Base64.getEncoder().encodeToString(signer.sign(AuditChain.gapMessage(
          settings.instance(), at, time, prev, expected.by(), expected.seq(), expected.hash(),
          foundSeq, foundHash)));
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot sign the audit log's gap record", e);
    }
    JsonObject json = new JsonObject()
        .put("seq", at)
        .put("type", AuditChain.GAP)
        .put("time", time)
        .put("instance", settings.instance())
        .put("expected_by", expected.by())
        .put("expected_seq", expected.seq())
        .put("expected_hash", expected.hash())
        .put("expected_time", expected.time())
        .put("found_seq", foundSeq)
        .put("found_hash", foundHash)
        .put("signature", signature)
        .put("prev", prev);
    String line = json.encode();
    append(line + "\n");
    fsync.force(channel);
    durableSeq.accumulateAndGet(at, Math::max);
    if (stdout != null) {
      stdout.println(line);
    }
    prev = AuditChain.hash(line.getBytes(StandardCharsets.UTF_8));
    moved(at, prev);
    seq = at + 1;
    LOG.error("audit log {}: {} (seq {}); `keyward audit verify` fails on it", file,
        AuditChain.describeGap(expected.seq(), expected.by(), expected.time(), foundSeq, time),
        at);
  }

  /**
   * Starts a file with its header: where it sits in the chain, signed, so that a log whose older
   * files were archived may start here (a signed anchor) and nowhere else mid-chain.
   */
  private void openNew(Path file, String previousFile) throws IOException {
    channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    Files.setPosixFilePermissions(file, AtomicFiles.OWNER_ONLY);
    size = 0;
    String time = clock.instant().toString();
    String signature;
    try {
      signature = Base64.getEncoder().encodeToString(signer.sign(AuditChain.anchorMessage(
          settings.instance(), seq, time, prev, previousFile)));
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot sign the audit file's anchor", e);
    }
    JsonObject header = new JsonObject()
        .put("seq", seq)
        .put("type", AuditChain.FILE)
        .put("time", time)
        .put("instance", settings.instance())
        .put("previous_file", previousFile)
        .put("signature", signature)
        .put("prev", prev);
    String line = header.encode();
    append(line + "\n");
    prev = AuditChain.hash(line.getBytes(StandardCharsets.UTF_8));
    moved(seq, prev);
    seq++;
  }

  /** A name for a file set aside: sorts by time, then by the sequence number it ends before. */
  private Path aside(Path file, String suffix) {
    return file.resolveSibling(String.format("audit-%s-%012d%s.jsonl",
        ROTATED.format(clock.instant()), seq, suffix));
  }

  /** The end of a log file: its last complete line, and whether a torn line follows it. */
  record Tail(Optional<String> lastLine, boolean torn) {}

  static Tail tail(Path file) throws IOException {
    try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
      long length = in.length();
      int window = (int) Math.min(length, 1 << 20);
      byte[] bytes = new byte[window];
      in.seek(length - window);
      in.readFully(bytes);
      int end = window - 1;
      boolean torn = bytes[end] != '\n';
      while (end >= 0 && bytes[end] != '\n') {
        end--; // skip the torn fragment, if any
      }
      if (end < 0) {
        return new Tail(Optional.empty(), torn);
      }
      int start = end - 1;
      while (start >= 0 && bytes[start] != '\n') {
        start--;
      }
      String line = new String(bytes, start + 1, end - start - 1, StandardCharsets.UTF_8);
      try {
        new JsonObject(line).getLong("seq");
        return new Tail(Optional.of(line), torn);
      } catch (RuntimeException e) {
        return new Tail(Optional.empty(), true); // not ours: set aside; verify will flag it
      }
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
