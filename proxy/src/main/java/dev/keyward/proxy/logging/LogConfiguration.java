package dev.keyward.proxy.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Keyward's log configuration, found by Logback through {@code META-INF/services}: set up in
 * code because Logback's XML configurator costs about 560 classes (its own and the JDK's XML
 * parser), a good part of start-up.
 *
 * <p>Logs go to standard error, so command output on standard output (a token, JSON, audit lines)
 * stays clean. JSON lines by default (one object per line, request ids as key-value pairs);
 * {@code KEYWARD_LOG_FORMAT=text} for people (the {@code ./keyward} launcher sets it on a
 * terminal). {@code KEYWARD_LOG_LEVEL} sets Keyward's own loggers ({@code DEBUG} adds one line per
 * agent request); {@code io.netty} and {@code io.vertx} log at WARN. Both settings are read as a
 * system property first, then from the environment. Never a secret or a token: see
 * docs/observability.md.
 *
 * <p>{@code -Dlogback.configurationFile}, or a {@code logback-test.xml} on the class path (the
 * tests' own), replaces all of this: Logback's XML configurator then runs. A {@code logback.xml}
 * on the class path does not (one left in {@code target/classes} by an older build would).
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_NORMAL_PRIORITY)
public final class LogConfiguration extends ContextAwareBase implements Configurator {

  static final String FORMAT = "KEYWARD_LOG_FORMAT";
  static final String LEVEL = "KEYWARD_LOG_LEVEL";
  private static final String TEXT_PATTERN = "%d{HH:mm:ss.SSS} %-5level %logger{20} - %msg %kvp%n";

  private final Function<String, String> properties;
  private final Function<String, String> environment;
  private final Predicate<String> onClassPath;

  /** As Logback's service loader makes it: system properties, environment, class path. */
  public LogConfiguration() {
    this(System::getProperty, System::getenv,
        resource -> LogConfiguration.class.getClassLoader().getResource(resource) != null);
  }

  LogConfiguration(Function<String, String> properties, Function<String, String> environment,
      Predicate<String> onClassPath) {
    this.properties = properties;
    this.environment = environment;
    this.onClassPath = onClassPath;
  }

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (properties.apply("logback.configurationFile") != null
        || onClassPath.test("logback-test.xml")) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
    appender.setContext(context);
    boolean text = "text".equals(setting(FORMAT));
    appender.setName(text ? "text" : "json");
    appender.setTarget("System.err");
    appender.setEncoder(text ? textEncoder(context) : jsonEncoder(context));
    appender.start();

    context.getLogger("dev.keyward").setLevel(keywardLevel(setting(LEVEL)));
    context.getLogger("io.netty").setLevel(Level.WARN);
    context.getLogger("io.vertx").setLevel(Level.WARN);
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.INFO);
    root.addAppender(appender);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /** As Logback's XML configuration read {@code ${KEYWARD_LOG_LEVEL:-INFO}}: unknown is DEBUG. */
  private static Level keywardLevel(String name) {
    if (name == null || name.isBlank() || name.equalsIgnoreCase("INHERITED")
        || name.equalsIgnoreCase("NULL")) {
      return Level.INFO;
    }
    return Level.toLevel(name);
  }

  private String setting(String name) {
    String value = properties.apply(name);
    return value != null ? value : environment.apply(name);
  }

  private static Encoder<ILoggingEvent> jsonEncoder(LoggerContext context) {
    JsonEncoder encoder = new JsonEncoder();
    encoder.setContext(context);
    encoder.setWithSequenceNumber(false);
    encoder.setWithNanoseconds(false);
    encoder.setWithContext(false);
    encoder.setWithMDC(false);
    encoder.setWithMessage(false);
    encoder.setWithArguments(false);
    encoder.setWithFormattedMessage(true);
    encoder.start();
    return encoder;
  }

  private static Encoder<ILoggingEvent> textEncoder(LoggerContext context) {
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(TEXT_PATTERN);
    encoder.start();
    return encoder;
  }
}
