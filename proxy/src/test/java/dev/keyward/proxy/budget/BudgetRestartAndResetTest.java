package dev.keyward.proxy.budget;

import static dev.keyward.proxy.budget.UsageReader.nanoUsd;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.Keyward;
import dev.keyward.proxy.testing.Agent;
import dev.keyward.proxy.testing.TestInstallation;
import dev.keyward.token.Role;
import dev.keyward.vault.MutableClock;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spend outlives its process and ends with its period: the embedded store keeps it across a
 * restart on the same data directory, and a daily budget starts again at midnight (on a clock the
 * test moves). Both are shown by admission, not only by the numbers: a call that fits an empty
 * budget but not one holding the first call's spend.
 */
class BudgetRestartAndResetTest {

  /** $0.01 a day. */
  static final long LIMIT = 10_000_000L;
  /**
   * About 1,500 tokens in and out (the fake provider echoes): about $0.0034 at $0.25 / $2.00 per
   * million; its worst case, with max_tokens 2,000, about $0.0044.
   */
  static final String LONG = "word ".repeat(1200);
  /**
   * A short question with max_tokens 4,000: worst case about $0.008, which fits the day's $0.01
   * when nothing is spent, and not after the long call.
   */
  static final int SHORT_MAX_TOKENS = 4000;

  @TempDir
  Path dir;

  final MutableClock clock = new MutableClock(Instant.now());
  FakeLlmTestbed testbed;
  TestInstallation installation;
  Keyward keyward;

  @BeforeEach
  void start() throws Exception {
    testbed = new FakeLlmTestbed();
    installation = testbed.installation(dir, List.of("acme"), """
        budgets:
          - name: acme-daily
            scope: tenant
            tenants: [acme]
            usd: 0.01
            period: daily
        """, "");
    keyward = installation.start(clock);
  }

  @AfterEach
  void stop() throws Exception {
    keyward.close();
    testbed.close();
  }

  HttpResponse<String> call(String text, int maxTokens) throws Exception {
    JsonObject body = new JsonObject(FakeLlmTestbed.chat("gpt-5-mini", false, text))
        .put("max_tokens", maxTokens);
    return new Agent(keyward.port()).post("/r/openai/chat/completions",
        installation.token("agent-1", "acme", clock).token(), body.encode());
  }

  UsageReader usage() throws Exception {
    return new UsageReader(keyward,
        installation.operatorToken("arthur", Role.AUDITOR, clock).token());
  }

  long spentToday() throws Exception {
    return nanoUsd(usage().settled("acme-daily", "tenant:acme").getValue("spent_usd"));
  }

  @Test
  void aRestartOnTheSameDataDirectoryLosesNoSpend() throws Exception {
    assertEquals(200, call(LONG, 2000).statusCode());
    long spent = spentToday();

    keyward.close();
    keyward = installation.start(clock);

    assertEquals(spent, spentToday());
    assertEquals(429, call("Say hi", SHORT_MAX_TOKENS).statusCode(),
        "a call that only fits an empty budget");
  }

  @Test
  void aDailyBudgetStartsAgainAtMidnight() throws Exception {
    assertEquals(200, call(LONG, 2000).statusCode());
    long yesterday = spentToday();
    HttpResponse<String> refused = call("Say hi", SHORT_MAX_TOKENS);
    assertEquals(429, refused.statusCode(), refused.body());
    Instant midnight = clock.instant().atZone(ZoneOffset.UTC).toLocalDate().plusDays(1)
        .atStartOfDay(ZoneOffset.UTC).toInstant();
    assertEquals(Duration.between(clock.instant(), midnight).toSeconds(),
        Long.parseLong(refused.headers().firstValue("retry-after").orElseThrow()), 1);

    clock.advance(Duration.between(clock.instant(), midnight).plusSeconds(1));

    JsonArray subjects = UsageReader.budget(usage().all(), "acme-daily").getJsonArray("subjects");
    assertEquals(0, subjects.size(), "a new day, no spend yet: " + subjects.encode());
    HttpResponse<String> admitted = call("Say hi", SHORT_MAX_TOKENS);
    assertEquals(200, admitted.statusCode(), admitted.body());
    JsonObject today = UsageReader.budget(usage().all(), "acme-daily");
    assertEquals(midnight.toString(), today.getString("window_start"));
    assertEquals(midnight.plus(1, ChronoUnit.DAYS).toString(), today.getString("resets_at"));
    long spent = spentToday();
    assertTrue(spent > 0 && spent < yesterday, "today only the short call: " + spent);
  }
}
