package dev.keyward.policies;

import static dev.keyward.policies.PolicyLoaderTest.testdata;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.llm.routing.BreakerSettings;
import dev.keyward.llm.routing.ScoreWeights;
import dev.keyward.llm.routing.Strategy;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Routes with targets: how they are read, and every problem they can have. */
class RoutingPolicyTest {

  static List<PolicyProblem> problemsOf(String file) {
    return assertThrows(InvalidPolicyException.class,
        () -> PolicyLoader.load(testdata(file))).problems();
  }

  static void reported(List<PolicyProblem> problems, String... expected) {
    List<String> messages = problems.stream().map(PolicyProblem::toString).toList();
    for (String text : expected) {
      assertTrue(messages.stream().anyMatch(m -> m.contains(text)),
          "'" + text + "' not reported: " + messages);
    }
  }

  Route route(String name) throws Exception {
    return PolicyLoader.load(testdata("targets.yaml")).route(name).orElseThrow();
  }

  @Test
  void theIssuesTwoExampleChainsLoadInTheirOrder() throws Exception {
    Route claude = route("claude");
    assertEquals(List.of("primary", "sonnet-4-6", "sonnet-4-5", "haiku-4-5"),
        claude.routing().targets().stream().map(RouteTarget::name).toList());
    assertEquals(Strategy.FALLBACK, claude.routing().strategy());
    Route chat = route("chat");
    assertEquals(6, chat.routing().targets().size());
    assertEquals("openrouter", chat.credentialId(), "the route's credential is its first target's");
    assertEquals("/api/v1", chat.upstream().path());
  }

  @Test
  void aTargetsFirstByteTimeoutIsItsOwnOrTheRoutesOrThirtySeconds() throws Exception {
    List<RouteTarget> chat = route("chat").routing().targets();
    assertEquals(Duration.ofSeconds(20), chat.get(0).firstByteTimeout());
    assertEquals(Duration.ofSeconds(10), chat.get(2).firstByteTimeout());
    assertEquals(Duration.ofSeconds(30), route("claude").routing().targets().get(0)
        .firstByteTimeout());
  }

  @Test
  void aFixedModelIsSentWhateverWasAsked() throws Exception {
    RouteTarget haiku = route("claude").routing().targets().get(3);
    assertEquals(Optional.of("claude-haiku-4-5"), haiku.model().toSend("claude-opus-4-5"));
  }

  @Test
  void anAliasMapServesOnlyTheModelsItNames() throws Exception {
    RouteTarget own = route("chat").routing().targets().get(2);
    assertEquals(Optional.of("gpt-5-mini"), own.model().toSend("openai/gpt-5-mini"));
    assertEquals(Optional.empty(), own.model().toSend("anthropic/claude-sonnet-4.5"));
  }

  @Test
  void aTargetWithoutModelSendsTheRoutesChoice() throws Exception {
    RouteTarget primary = route("chat").routing().targets().get(0);
    assertEquals(Optional.of("x/y"), primary.model().toSend("x/y"));
  }

  @Test
  void weightsPresetsAndBreakerSettingsAreRead() throws Exception {
    Route spread = route("spread");
    assertEquals(Strategy.WEIGHTED, spread.routing().strategy());
    assertEquals(List.of(3, 1), spread.routing().targets().stream().map(RouteTarget::weight)
        .toList());
    Route cheapest = route("cheapest");
    assertEquals(ScoreWeights.ECONOMY, cheapest.routing().weights());
    assertEquals(new BreakerSettings(3, 0.5, 10, Duration.ofSeconds(30), Duration.ofMinutes(1)),
        cheapest.routing().breaker());
    assertEquals(new ScoreWeights(2, 1, 1), route("custom").routing().weights());
  }

  @Test
  void aTargetModelOutsideItsMapIsDeniedAsModelNotAllowed() throws Exception {
    PolicySet policy = PolicyLoader.load(testdata("targets.yaml"));
    Route chat = policy.route("chat").orElseThrow();
    RouteTarget own = chat.routing().targets().get(2);
    Decision decision = policy.decideTargetModel(chat, own, "anthropic/claude-sonnet-4.5",
        "anthropic/claude-sonnet-4.5", own.model().toSend("anthropic/claude-sonnet-4.5"));
    assertFalse(decision.allowed());
    assertEquals("model_not_allowed", decision.code());
    assertTrue(decision.reason().contains("own-openai"), decision.reason());
  }

  @Test
  void routesWithTargetsDefaultTo4MiBBodies() throws Exception {
    assertEquals(4L * 1024 * 1024, route("chat").maxRequestBody(128L * 1024 * 1024));
  }

  @Test
  void chainedRoutesAreListedByName() throws Exception {
    assertEquals(List.of("chat", "cheapest", "claude", "custom", "spread"),
        PolicyLoader.load(testdata("targets.yaml")).chainedRoutes().stream().map(Route::name)
            .toList());
  }

  @Test
  void aRouteWithBothTargetsAndUpstreamIsRefused() {
    reported(problemsOf("targets_and_upstream.yaml"),
        "6:5: route 'chat': a route has either 'upstream' and 'credential'",
        "move 'upstream' into a target", "move 'credential' into a target");
  }

  @Test
  void aTargetSpeakingAnotherApiIsRefused() {
    reported(problemsOf("target_other_api.yaml"),
        "speaks 'anthropic' but the route speaks 'openai': every target must speak the route's api");
  }

  @Test
  void routingSettingsWithoutTargetsAreRefused() {
    reported(problemsOf("strategy_without_targets.yaml"), "9:5: route 'chat': 'strategy' needs"
        + " 'targets'");
  }

  @Test
  void everyProblemOfTheTargetsIsReportedInOneRun() {
    reported(problemsOf("targets_many_problems.yaml"),
        "'preset' is for strategy: score",
        "'failure_ratio' must be a number, 0 to 1",
        "'open_for' must be longer than zero",
        "target 'a': 'weight' is for strategy: weighted",
        "target 'a': 'model' needs the route's 'api'",
        "duplicate target name 'a'",
        "host api.openai.com is outside the allowed domains of credential 'openrouter'",
        "unknown credential 'nobody'",
        "'first_byte_timeout': 'soon' is not a duration",
        "route 'ranked': strategy: score ranks targets by their model's price and quality",
        "unknown preset 'cheap'",
        "strategy: weighted needs a target with a weight above 0",
        "route 'empty': 'targets' lists no target");
  }
}
