package dev.keyward.proxy.audit;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Finding and reading an instance's audit files, oldest first. */
public final class AuditFiles {

  /** Names {@link AuditLog} gives rotated and torn files: they sort oldest first. */
  private static final Pattern SET_ASIDE =
      Pattern.compile("audit-\\d{8}T\\d{6}Z-\\d{12}(-torn)?\\.jsonl");

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

  /** Calls {@code each} with every entry (request and admin records, not chain lines). */
  public static void forEachEntry(List<Path> files, Instant since, Consumer<JsonObject> each)
      throws IOException {
    for (Path file : files) {
      try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        for (String line; (line = in.readLine()) != null; ) {
          JsonObject json;
          try {
            json = new JsonObject(line);
          } catch (RuntimeException e) {
            continue; // `audit verify` reports broken lines; queries skip them
          }
          String type = json.getString("type", "");
          if ((type.equals(AuditRecord.TYPE) || type.equals(AdminRecord.TYPE))
              && !Instant.parse(json.getString("time")).isBefore(since)) {
            each.accept(json);
          }
        }
      }
    }
  }
}
