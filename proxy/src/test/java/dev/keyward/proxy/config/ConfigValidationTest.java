package dev.keyward.proxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every section of keyward.yaml is checked like the policy: a bad setting never falls back to its
 * default silently; each problem points at its line and says what to write; every problem is
 * reported in one run. One file per section under {@code src/test/resources/config/}.
 */
class ConfigValidationTest {

  static Path file(String name) {
    return Path.of("src/test/resources/config", name);
  }

  static String problemsOf(String name) {
    return assertThrows(ConfigException.class,
        () -> KeywardConfig.load(file(name), Map.of("HOSTNAME", "keyward-test"))).getMessage();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "listen_port.yaml              | 3  | listen.port must be 0-65535",
      "policy_reload_interval.yaml   | 6  | policy_reload_interval:",
      "kek_both.yaml                 | 3  | set exactly one of kek.local",
      "store_neither.yaml            | 4  | set exactly one of store.file",
      "vault_auth_method.yaml        | 11 | vault.auth.method must be token, approle or kubernetes",
      "tokens_refresh_interval.yaml  | 7  | tokens.refresh_interval must be longer than zero",
      "upstream_connect_to.yaml      | 7  | upstream.connect_to:",
      "limits_max_header_size.yaml   | 7  | limits.max_header_size must be between 9KiB",
      "limits_max_upstream_connections.yaml | 8 | limits.max_upstream_connections must be between 1",
      "credentials_cache_window.yaml | 8  | must not be shorter than credentials_cache.ttl",
      "audit_max_file_size.yaml      | 8  | audit.max_file_size: '40XiB'",
      "admin_port.yaml               | 7  | admin.port must be 0-65535",
      "budgets_store.yaml            | 7  | budgets.store must be embedded",
      "routing_quality.yaml          | 8  | routing.quality.mystery must be a number from 0",
      "unknown_setting.yaml          | 6  | unknown setting 'audti'; did you mean 'audit'?",
  })
  void aBadSettingIsReportedAtItsLineWithTheFix(String name, int line, String message) {
    String problems = problemsOf(name);
    assertTrue(problems.contains(file(name) + ":" + line + ":"), problems);
    assertTrue(problems.contains(message), problems);
  }

  @Test
  void aMissingRequiredSettingIsReportedForTheFile() {
    assertTrue(problemsOf("policy_missing.yaml").contains(file("policy_missing.yaml")
        + ": policy is required"), problemsOf("policy_missing.yaml"));
  }

  @Test
  void everyValueOfTheWrongKindIsReportedInOneRun() {
    List<String> lines = problemsOf("wrong_kinds.yaml").lines().toList();
    assertEquals(3, lines.size(), lines.toString());
    assertTrue(lines.get(0).contains(":7:") && lines.get(0).contains("'admin.port' must be a"
        + " whole number"), lines.get(0));
    assertTrue(lines.get(1).contains(":9:") && lines.get(1).contains("'upstream.trust_ca' must"
        + " be a list"), lines.get(1));
    assertTrue(lines.get(2).contains(":10:") && lines.get(2).contains("'upstream.http2' must be"
        + " true or false"), lines.get(2));
  }

  @Test
  void everyProblemOfEverySectionIsReportedInOneRun() {
    List<String> lines = problemsOf("many_problems.yaml").lines().toList();
    for (String expected : List.of("listen.port", "audit.max_file_size", "audit.on_failure",
        "admin.port", "limits.max_request_duration")) {
      assertTrue(lines.stream().anyMatch(l -> l.contains(expected)), expected + ": " + lines);
    }
    assertEquals(5, lines.size(), lines.toString());
  }
}
