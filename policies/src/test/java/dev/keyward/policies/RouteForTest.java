package dev.keyward.policies;

import static dev.keyward.policies.PolicyLoaderTest.testdata;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Which route a forward-proxy request is the call of: a path with empty segments ({@code //})
 * is matched as the upstream would serve it (most servers merge the slashes), so it cannot slip
 * out of a route's metering and budgets, nor into another route. On a route with targets every
 * target is matched, with its own credential and upstream, and the match names that target.
 */
class RouteForTest {

  private static PolicySet policy;

  @BeforeAll
  static void load() throws Exception {
    policy = PolicyLoader.parse("routes.yaml", """
        credentials:
          - id: openai
            allowed_domains: ["api.openai.com"]
        routes:
          - name: openai
            upstream: https://api.openai.com/v1
            credential: openai
          - name: openai-files
            upstream: https://api.openai.com/v1/files
            credential: openai
        grants:
          - tenants: [acme]
            credentials: [openai]
        """);
  }

  private static Optional<String> routeOf(String path) throws Exception {
    return policy.routeFor("openai", Targets.parseExplicit("api.openai.com" + path, null))
        .map(RouteMatch::route).map(Route::name);
  }

  private static RouteMatch ofTargets(String credential, String url) throws Exception {
    return PolicyLoader.load(testdata("targets.yaml"))
        .routeFor(credential, Targets.parseExplicit(url, null)).orElseThrow();
  }

  @Test
  void aPathUnderTheBaseIsTheRoutesCall() throws Exception {
    assertEquals(Optional.of("openai"), routeOf("/v1/chat/completions"));
    assertEquals(Optional.of("openai-files"), routeOf("/v1/files/abc"));
    assertTrue(routeOf("/v2/chat/completions").isEmpty());
  }

  @Test
  void doubleSlashesDoNotTakeAPathOutOfItsRoute() throws Exception {
    assertEquals(Optional.of("openai"), routeOf("//v1/chat/completions"));
    assertEquals(Optional.of("openai"), routeOf("/v1//chat/completions"));
    assertEquals(Optional.of("openai"), routeOf("/v1/chat//completions"));
  }

  @Test
  void doubleSlashesDoNotMoveAPathToAnotherRoute() throws Exception {
    assertEquals(Optional.of("openai-files"), routeOf("/v1//files/abc"));
    assertEquals(Optional.of("openai-files"), routeOf("//v1/files//abc"));
    assertEquals(Optional.of("openai"), routeOf("/v1/filesx"));
  }

  @Test
  void aRouteWithOneUpstreamNamesNoTarget() throws Exception {
    assertTrue(policy.routeFor("openai", Targets.parseExplicit(
        "api.openai.com/v1/chat/completions", null)).orElseThrow().target().isEmpty());
  }

  @Test
  void aLaterTargetsCredentialAndUpstreamAreThatRoutesCallThroughThatTarget() throws Exception {
    RouteMatch match = ofTargets("openai", "api.openai.com/v1/chat/completions");
    assertEquals("chat", match.route().name()); // the first of the routes that send it there
    assertEquals("own-openai", match.target().orElseThrow().name());
    RouteMatch anthropic = ofTargets("anthropic", "api.anthropic.com/v1/chat/completions");
    assertEquals("chat", anthropic.route().name()); // its base path is longer than claude's
    assertEquals("own-anthropic", anthropic.target().orElseThrow().name());
  }

  @Test
  void ofTargetsThatShareCredentialAndUpstreamTheFirstIsMatched() throws Exception {
    RouteMatch match = ofTargets("openrouter", "openrouter.ai/api/v1/chat/completions");
    assertEquals("chat", match.route().name());
    assertEquals("primary", match.target().orElseThrow().name());
    RouteMatch claude = ofTargets("anthropic", "api.anthropic.com/messages");
    assertEquals("claude", claude.route().name());
    assertEquals("primary", claude.target().orElseThrow().name());
  }
}
