package dev.keyward.proxy.testing;

import static org.junit.jupiter.api.Assertions.fail;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Fails a test during which Vert.x reported a blocked event loop (Keyward warns at 200 ms).
 * Registered for every test through {@code META-INF/services} and JUnit's extension
 * auto-detection.
 */
public final class NoBlockedEventLoops implements BeforeEachCallback, AfterEachCallback {

  private static final String CHECKER = "io.vertx.core.impl.BlockedThreadChecker";
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(NoBlockedEventLoops.class);

  @Override
  public void beforeEach(ExtensionContext context) {
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    ((Logger) LoggerFactory.getLogger(CHECKER)).addAppender(appender);
    context.getStore(NAMESPACE).put("appender", appender);
  }

  @Override
  @SuppressWarnings("unchecked")
  public void afterEach(ExtensionContext context) {
    ListAppender<ILoggingEvent> appender =
        context.getStore(NAMESPACE).remove("appender", ListAppender.class);
    ((Logger) LoggerFactory.getLogger(CHECKER)).detachAppender(appender);
    if (!appender.list.isEmpty()) {
      fail("an event loop was blocked: " + appender.list.get(0).getFormattedMessage());
    }
  }
}
