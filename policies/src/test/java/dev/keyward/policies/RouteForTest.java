package dev.keyward.policies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Which route a forward-proxy request is the call of: a path with empty segments ({@code //})
 * is matched as the upstream would serve it (most servers merge the slashes), so it cannot slip
 * out of a route's metering and budgets, nor into another route.
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
        .map(Route::name);
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
}
