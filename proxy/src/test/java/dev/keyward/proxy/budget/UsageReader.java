package dev.keyward.proxy.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.keyward.proxy.Keyward;
import dev.keyward.proxy.testing.Agent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import org.awaitility.Awaitility;

/** Reads budget usage from a running Keyward's admin API ({@code GET /v1/budgets/usage}). */
final class UsageReader {

  private final Agent admin;
  private final String operatorToken;

  UsageReader(Keyward keyward, String operatorToken) {
    this.admin = new Agent(keyward.adminPort());
    this.operatorToken = operatorToken;
  }

  /** The whole answer; fails unless it is a 200. */
  JsonObject all() throws Exception {
    HttpResponse<String> response = admin.get("/v1/budgets/usage", operatorToken);
    assertEquals(200, response.statusCode(), response.body());
    return new JsonObject(response.body());
  }

  /** One budget's block of {@code usage}. */
  static JsonObject budget(JsonObject usage, String budget) {
    JsonArray budgets = usage.getJsonArray("budgets");
    for (int i = 0; i < budgets.size(); i++) {
      if (budgets.getJsonObject(i).getString("budget").equals(budget)) {
        return budgets.getJsonObject(i);
      }
    }
    throw new AssertionError("no budget " + budget + " in " + usage.encode());
  }

  /** The subject's row of that budget, if it has counters in the current window. */
  Optional<JsonObject> subject(String budget, String subject) throws Exception {
    JsonArray subjects = budget(all(), budget).getJsonArray("subjects");
    for (int i = 0; i < subjects.size(); i++) {
      if (subjects.getJsonObject(i).getString("subject").equals(subject)) {
        return Optional.of(subjects.getJsonObject(i));
      }
    }
    return Optional.empty();
  }

  /**
   * The subject's row once nothing is held any more: a call is settled after its response ended,
   * so a test waits for that.
   */
  JsonObject settled(String budget, String subject) {
    return Awaitility.await(subject + " settled in " + budget).atMost(Duration.ofSeconds(20))
        .until(() -> subject(budget, subject), row -> row.isPresent()
            && nanoUsd(row.get().getValue("held_usd")) == 0).orElseThrow();
  }

  /** A USD amount of a JSON answer (usage or an audit record) in nano-dollars, exactly. */
  static long nanoUsd(Object usd) {
    return new BigDecimal(usd.toString()).movePointRight(9).setScale(0).longValueExact();
  }
}
