package dev.keyward.proxy.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Collects the audit records written to the {@code keyward.audit} logger during a test. */
public final class AuditCapture implements AutoCloseable {

  private final Logger logger = (Logger) LoggerFactory.getLogger("keyward.audit");
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  public AuditCapture() {
    appender.start();
    logger.addAppender(appender);
  }

  public List<JsonObject> records() {
    return List.copyOf(appender.list).stream()
        .map(e -> new JsonObject(e.getFormattedMessage())).toList();
  }

  /** The record of the request with this id; waits briefly, since audit is written at the end. */
  public JsonObject forRequest(String requestId) throws InterruptedException {
    for (int i = 0; i < 100; i++) {
      for (JsonObject record : records()) {
        if (requestId.equals(record.getString("request_id"))) {
          return record;
        }
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no audit record for " + requestId + " in " + records());
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
  }
}
