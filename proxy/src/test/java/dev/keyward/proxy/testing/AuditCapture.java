package dev.keyward.proxy.testing;

import dev.keyward.proxy.audit.AuditFiles;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.awaitility.Awaitility;

/** Reads the audit entries a {@link TestInstallation}'s Keyward wrote (its audit file). */
public final class AuditCapture implements AutoCloseable {

  private final Path file;

  /** @param installationDir the {@link TestInstallation#dir()} */
  public AuditCapture(Path installationDir) {
    this.file = installationDir.resolve(TestInstallation.AUDIT_FILE);
  }

  /** Request and admin entries written so far, oldest first. */
  public List<JsonObject> records() throws Exception {
    List<JsonObject> entries = new ArrayList<>();
    AuditFiles.forEachEntry(AuditFiles.inOrder(file), Instant.EPOCH, entries::add);
    return entries;
  }

  /** Every line of every audit file, checkpoints included, as written. */
  public String rawText() throws Exception {
    StringBuilder text = new StringBuilder();
    for (Path each : AuditFiles.inOrder(file)) {
      text.append(Files.readString(each, StandardCharsets.UTF_8));
    }
    return text.toString();
  }

  /** The record of the request with this id; waits briefly, since audit is written at the end. */
  public JsonObject forRequest(String requestId) throws Exception {
    return first(record -> "request".equals(record.getString("type"))
        && requestId.equals(record.getString("request_id")));
  }

  /**
   * The attempt records of the request with this id (a route with targets), in order; waits for
   * the request's own record, which comes after them.
   */
  public List<JsonObject> attempts(String requestId) throws Exception {
    forRequest(requestId);
    return records().stream().filter(record -> "attempt".equals(record.getString("type"))
        && requestId.equals(record.getString("request_id"))).toList();
  }

  /** The first entry that matches; waits for it, since entries are written asynchronously. */
  public JsonObject first(Predicate<JsonObject> matching) {
    return Awaitility.await("a matching audit entry").atMost(Duration.ofSeconds(10))
        .until(() -> records().stream().filter(matching).findFirst(), Optional::isPresent)
        .orElseThrow();
  }

  @Override
  public void close() {}
}
