package dev.keyward.proxy.audit;

import io.vertx.core.json.JsonObject;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Finding and reading an instance's audit files, oldest first. */
public final class AuditFiles {

  /** Names {@link AuditLog} gives rotated and torn files: they sort oldest first. */
  private static final Pattern SET_ASIDE =
      Pattern.compile("audit-\\d{8}T\\d{6}Z-\\d{12}(-torn)?\\.jsonl");

  private static final java.time.format.DateTimeFormatter CLOSED =
      java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
          .withZone(java.time.ZoneOffset.UTC);

  private static final byte[] SEQ_PREFIX = "{\"seq\":".getBytes(StandardCharsets.UTF_8);

  private AuditFiles() {}

  /** The rotated files beside {@code current}, oldest first, then {@code current}. */
  public static List<Path> inOrder(Path current) throws IOException {
    Path dir = current.toAbsolutePath().getParent();
    List<Path> files = new ArrayList<>();
    if (Files.isDirectory(dir)) {
      try (Stream<Path> listing = Files.list(dir)) {
        listing.filter(p -> SET_ASIDE.matcher(p.getFileName().toString()).matches()).sorted()
            .forEach(files::add);
      }
    }
    if (Files.exists(current)) {
      files.add(current);
    }
    return files;
  }

  /** When a set-aside file was closed (its name says so, to the second); empty for others. */
  static Optional<Instant> closedAt(Path file) {
    String name = file.getFileName().toString();
    if (!SET_ASIDE.matcher(name).matches()) {
      return Optional.empty();
    }
    try {
      return Optional.of(CLOSED.parse(name.substring(6, 22), Instant::from));
    } catch (java.time.format.DateTimeParseException e) {
      return Optional.empty();
    }
  }

  /** The hash of the file's first complete line; empty when it has none. */
  static Optional<String> firstLineHash(Path file) throws IOException {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
      return Optional.ofNullable(nextLine(in)).map(AuditChain::hash);
    }
  }

  /**
   * The hash of the line with sequence number {@code seq} in {@code files} (oldest first), read
   * from the newest file that starts at or before it; empty when no complete line has it.
   */
  static Optional<String> lineHash(List<Path> files, long seq) throws IOException {
    for (int i = files.size() - 1; i >= 0; i--) {
      try (InputStream in = new BufferedInputStream(Files.newInputStream(files.get(i)))) {
        byte[] first = nextLine(in);
        if (first == null || seqOf(first) > seq) {
          continue; // the line is in an older file
        }
        for (byte[] line = first; line != null; line = nextLine(in)) {
          if (seqOf(line) == seq) {
            return Optional.of(AuditChain.hash(line));
          }
        }
        return Optional.empty();
      }
    }
    return Optional.empty();
  }

  /** The next line ending in '\n', without it; null at the end (and for a torn last fragment). */
  private static byte[] nextLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(512);
    for (int b; (b = in.read()) >= 0; ) {
      if (b == '\n') {
        return line.toByteArray();
      }
      line.write(b);
    }
    return null;
  }

  /** A line's {@code seq}, read from the prefix every line Keyward writes starts with. */
  private static long seqOf(byte[] line) {
    int i = SEQ_PREFIX.length;
    if (line.length <= i || !Arrays.equals(line, 0, i, SEQ_PREFIX, 0, i)) {
      return -1;
    }
    long seq = 0;
    for (; i < line.length && line[i] >= '0' && line[i] <= '9'; i++) {
      seq = seq * 10 + (line[i] - '0');
    }
    return seq;
  }

  /**
   * Calls {@code each} with every entry (request, attempt and admin records, not chain lines) at
   * or after {@code since}. A set-aside file whose name says it was closed before {@code since}
   * holds no such entry and is not read.
   */
  public static void forEachEntry(List<Path> files, Instant since, Consumer<JsonObject> each)
      throws IOException {
    for (Path file : files) {
      Optional<Instant> closed = closedAt(file);
      if (closed.isPresent() && !closed.get().plusSeconds(1).isAfter(since)) {
        continue; // its name has whole seconds: every entry in it is older than since
      }
      try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        for (String line; (line = in.readLine()) != null; ) {
          JsonObject json;
          try {
            json = new JsonObject(line);
          } catch (RuntimeException e) {
            continue; // `audit verify` reports broken lines; queries skip them
          }
          String type = json.getString("type", "");
          if ((type.equals(AuditRecord.TYPE) || type.equals(AttemptRecord.TYPE)
              || type.equals(AdminRecord.TYPE))
              && !Instant.parse(json.getString("time")).isBefore(since)) {
            each.accept(json);
          }
        }
      }
    }
  }
}
