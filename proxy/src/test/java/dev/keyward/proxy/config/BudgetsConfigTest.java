package dev.keyward.proxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BudgetsConfigTest {

  @TempDir Path dir;

  private KeywardConfig load(String budgets) throws Exception {
    Path file = dir.resolve("keyward.yaml");
    Files.writeString(file, String.join("\n", "policy: policy.yaml", "kek:", "  local: kek.json",
        "store:", "  file: store", budgets, ""));
    return KeywardConfig.load(file, Map.of());
  }

  private String problem(String budgets) {
    return assertThrows(ConfigException.class, () -> load(budgets)).getMessage();
  }

  @Test
  void theEmbeddedStoreBesideTheConfigurationIsTheDefault() throws Exception {
    BudgetsConfig budgets = load("").budgets();
    assertEquals(BudgetsConfig.Store.EMBEDDED, budgets.store());
    assertEquals(dir.resolve("budgets"), budgets.dir());
    assertEquals(Duration.ofMinutes(65), budgets.holdLease());
    assertEquals(Optional.empty(), budgets.redis());
  }

  @Test
  void redisIsReadWithItsEndpointPasswordFileAndTimeout() throws Exception {
    BudgetsConfig budgets = load(String.join("\n", "budgets:", "  store: redis", "  redis:",
        "    url: rediss://budgets.internal/2", "    password_file: redis-password",
        "    timeout: 250ms", "  hold_lease: 2h")).budgets();
    BudgetsConfig.Redis redis = budgets.redis().orElseThrow();
    assertEquals("budgets.internal:6379", redis.endpoint());
    assertEquals(dir.resolve("redis-password"), redis.passwordFile().orElseThrow());
    assertEquals(Duration.ofMillis(250), redis.timeout());
    assertEquals(Duration.ofHours(2), budgets.holdLease());
  }

  @Test
  void aRedissUrlIsTlsWithItsCaFile() throws Exception {
    BudgetsConfig.Redis redis = load(String.join("\n", "budgets:", "  store: redis", "  redis:",
        "    url: rediss://budgets.internal", "    ca_cert: redis-ca.pem")).budgets().redis()
        .orElseThrow();
    assertTrue(redis.tls());
    assertEquals(dir.resolve("redis-ca.pem"), redis.caCert().orElseThrow());
    assertFalse(load("budgets: {store: redis, redis: {url: 'redis://r'}}").budgets().redis()
        .orElseThrow().tls());
  }

  @Test
  void aCaFileWithoutTlsIsAMistake() {
    String message = problem("budgets: {store: redis, redis: {url: 'redis://r', ca_cert: ca.pem}}");
    assertTrue(message.contains("write the url as rediss://"), message);
  }

  @Test
  void anUnknownStoreNamesTheTwoThereAre() {
    assertTrue(problem("budgets: {store: memcached}").contains(
        "budgets.store must be embedded (one Keyward process) or redis (several replicas)"));
  }

  @Test
  void redisNeedsAUrl() {
    assertTrue(problem("budgets: {store: redis}").contains("budgets.redis.url is required"));
  }

  @Test
  void aPasswordInTheUrlIsRefusedWithTheFileToUseInstead() {
    String message = problem("budgets: {store: redis, redis: {url: 'redis://:hunter2@r:6379'}}");
    assertTrue(message.contains("put it in budgets.redis.password_file"), message);
    assertTrue(!message.contains("hunter2"), "the message repeats the password: " + message);
  }

  @Test
  void aUrlOfAnotherSchemeIsRefused() {
    assertTrue(problem("budgets: {store: redis, redis: {url: 'http://r:6379'}}")
        .contains("must start with redis://"));
  }

  @Test
  void redisSettingsWithTheEmbeddedStoreAreAMistake() {
    assertTrue(problem("budgets: {redis: {url: 'redis://r'}}")
        .contains("budgets.redis is set but budgets.store is embedded"));
  }

  @Test
  void aHoldLeaseNoLongerThanTheLongestRequestIsRefused() {
    String message = problem("budgets: {hold_lease: 30m}");
    assertTrue(message.contains("must be longer than limits.max_request_duration (1h)"), message);
    assertTrue(message.contains("use e.g. 65m"), message);
  }

  @Test
  void anUnknownSettingIsReportedWithItsLine() {
    String message = problem("budgets:\n  stor: redis");
    assertTrue(message.matches("(?s).*keyward\\.yaml:\\d+:\\d+: unknown setting 'budgets.stor'.*"),
        message);
    assertTrue(message.contains("did you mean 'store'?"), message);
  }
}
