package dev.keyward.proxy.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LogConfigurationTest {

  private static LoggerContext configured(Map<String, String> settings) {
    LoggerContext context = new LoggerContext();
    LogConfiguration configuration =
        new LogConfiguration(property -> null, settings::get, resource -> false);
    configuration.setContext(context);
    assertEquals(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY, configuration.configure(context));
    return context;
  }

  private static ConsoleAppender<ILoggingEvent> onlyRootAppender(LoggerContext context) {
    List<ch.qos.logback.core.Appender<ILoggingEvent>> appenders = new ArrayList<>();
    Iterator<ch.qos.logback.core.Appender<ILoggingEvent>> it =
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).iteratorForAppenders();
    it.forEachRemaining(appenders::add);
    assertEquals(1, appenders.size(), "one appender on the root logger");
    return (ConsoleAppender<ILoggingEvent>) appenders.get(0);
  }

  private static String encode(LoggerContext context, Encoder<ILoggingEvent> encoder) {
    LoggingEvent event = new LoggingEvent("dev.keyward.proxy.Keyward",
        context.getLogger("dev.keyward.proxy.stage.RecordOutcome"), Level.INFO,
        "request {} ended", null, new Object[] {"kw-1"});
    event.addKeyValuePair(new org.slf4j.event.KeyValuePair("request_id", "kw-1"));
    return new String(encoder.encode(event), StandardCharsets.UTF_8);
  }

  @Test
  void writesJsonLinesToStandardErrorByDefault() throws Exception {
    LoggerContext context = configured(Map.of());
    ConsoleAppender<ILoggingEvent> appender = onlyRootAppender(context);
    assertEquals("System.err", appender.getTarget());
    assertTrue(appender.isStarted());
    String line = encode(context, appender.getEncoder());
    assertTrue(line.endsWith("\n"), line);
    JsonNode json = new ObjectMapper().readTree(line);
    List<String> fields = new ArrayList<>();
    json.fieldNames().forEachRemaining(fields::add);
    // The fields logback.xml's JsonEncoder settings gave: no sequence number, nanoseconds,
    // context, MDC, raw message or arguments.
    assertEquals(List.of("timestamp", "level", "threadName", "loggerName", "kvpList",
        "formattedMessage", "throwable"), fields);
    assertEquals("request kw-1 ended", json.get("formattedMessage").asText());
    assertEquals("kw-1", json.get("kvpList").get(0).get("request_id").asText());
  }

  @Test
  void writesReadableLinesWhenTheFormatIsText() {
    LoggerContext context = configured(Map.of("KEYWARD_LOG_FORMAT", "text"));
    ConsoleAppender<ILoggingEvent> appender = onlyRootAppender(context);
    assertEquals("System.err", appender.getTarget());
    String line = encode(context, appender.getEncoder());
    assertTrue(line.matches(
        "\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  d\\.k\\.p\\.s\\.RecordOutcome - request kw-1 ended"
            + " request_id=\"kw-1\"\\n"), line);
  }

  @Test
  void keepsKeywardAtInfoAndNettyAndVertxAtWarnByDefault() {
    LoggerContext context = configured(Map.of());
    assertEquals(Level.INFO, context.getLogger("ROOT").getLevel());
    assertEquals(Level.INFO, context.getLogger("dev.keyward.proxy").getEffectiveLevel());
    assertEquals(Level.WARN, context.getLogger("io.netty.channel").getEffectiveLevel());
    assertEquals(Level.WARN, context.getLogger("io.vertx.core").getEffectiveLevel());
    assertEquals(Level.INFO, context.getLogger("com.google").getEffectiveLevel());
  }

  @Test
  void setsKeywardsLevelFromKeywardLogLevel() {
    LoggerContext context = configured(Map.of("KEYWARD_LOG_LEVEL", "DEBUG"));
    assertEquals(Level.DEBUG, context.getLogger("dev.keyward.proxy").getEffectiveLevel());
    assertEquals(Level.INFO, context.getLogger("com.google").getEffectiveLevel());
    assertEquals(Level.WARN, context.getLogger("io.netty").getEffectiveLevel());
  }

  @Test
  void readsTheSettingsFromSystemPropertiesBeforeTheEnvironment() {
    LoggerContext context = new LoggerContext();
    LogConfiguration configuration = new LogConfiguration(
        Map.of("KEYWARD_LOG_LEVEL", "WARN")::get, Map.of("KEYWARD_LOG_LEVEL", "DEBUG")::get,
        resource -> false);
    configuration.setContext(context);
    configuration.configure(context);
    assertEquals(Level.WARN, context.getLogger("dev.keyward").getLevel());
  }

  @Test
  void leavesAnExplicitConfigurationFileToLogback() {
    LoggerContext context = new LoggerContext();
    LogConfiguration configuration = new LogConfiguration(
        Map.of("logback.configurationFile", "/etc/keyward/logback.xml")::get, variable -> null,
        resource -> false);
    configuration.setContext(context);
    assertEquals(ExecutionStatus.INVOKE_NEXT_IF_ANY, configuration.configure(context));
    assertFalse(context.getLogger("ROOT").iteratorForAppenders().hasNext());
  }

  @Test
  void leavesATestConfigurationOnTheClassPathToLogback() {
    LoggerContext context = new LoggerContext();
    LogConfiguration configuration = new LogConfiguration(property -> null, variable -> null,
        "logback-test.xml"::equals);
    configuration.setContext(context);
    assertEquals(ExecutionStatus.INVOKE_NEXT_IF_ANY, configuration.configure(context));
    assertFalse(context.getLogger("ROOT").iteratorForAppenders().hasNext());
  }

  @Test
  void ignoresALogbackXmlLeftOnTheClassPath() {
    LoggerContext context = new LoggerContext();
    LogConfiguration configuration = new LogConfiguration(property -> null, variable -> null,
        "logback.xml"::equals);
    configuration.setContext(context);
    assertEquals(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY, configuration.configure(context));
    assertTrue(context.getLogger("ROOT").iteratorForAppenders().hasNext());
  }
}
