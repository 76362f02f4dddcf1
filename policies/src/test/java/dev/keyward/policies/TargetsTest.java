package dev.keyward.policies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TargetsTest {

  @ParameterizedTest
  @CsvSource({
      "/v1/chat/completions, /v1/chat/completions",
      "/v1/%63hat, /v1/chat",
      "/v1/a%2bb, /v1/a%2Bb",
      "/v1/%7euser, /v1/~user",
      "'', /",
      "/v1//x, /v1//x",
  })
  void normalisesPaths(String raw, String expected) throws Exception {
    assertEquals(expected, Targets.normalizePath(raw));
  }

  @ParameterizedTest
  @ValueSource(strings = {"/v1/../admin", "/v1/./x", "/..", "/v1/%2e%2e/admin", "/v1/%2E%2e/admin",
      "/v1/.%2e/admin", "/v1%2fadmin", "/v1%2Fadmin", "/v1%5cadmin", "/v1\\admin", "/v1/%00",
      "/v1/%0a", "/v1/%", "/v1/%zz", "/v1/a b", "/v1/é", "v1/no-leading-slash"})
  void refusesPathsItWouldHaveToGuessAbout(String raw) {
    BadTargetException e = assertThrows(BadTargetException.class, () -> Targets.normalizePath(raw));
    assertEquals(Targets.BAD_PATH, e.code());
  }

  @Test
  void parsesAnExplicitTargetAsHttps() throws Exception {
    Target target = Targets.parseExplicit("API.Anthropic.com/v1/messages", "beta=true");
    assertEquals("https", target.scheme());
    assertEquals("api.anthropic.com", target.host());
    assertEquals(443, target.port());
    assertEquals("/v1/messages?beta=true", target.pathAndQuery());
  }

  @Test
  void explicitTargetKeepsAnExplicitPort() throws Exception {
    assertEquals(8443, Targets.parseExplicit("localhost:8443/x", null).port());
  }

  @Test
  void targetToStringNeverShowsTheQuery() throws Exception {
    Target target = Targets.parseExplicit("api.example.com/v1", "key=secret");
    assertEquals("https://api.example.com/v1", target.toString());
  }

  @Test
  void routeTargetJoinsTheBasePathAndTheRequestPath() throws Exception {
    Target base = Targets.parseBaseUrl("https://openrouter.ai/api/v1/");
    Route route = new Route("openrouter", base, "openrouter");
    assertEquals("/api/v1/chat/completions", route.target("/chat/completions", null).path());
    assertEquals("/api/v1", route.target("", null).path());
  }

  @ParameterizedTest
  @ValueSource(strings = {"ftp://example.com", "https://user@example.com", "https://example.com?q=1",
      "https://example.com#f", "example.com", "https://example.com:0"})
  void refusesBaseUrlsThatAreNotPlainHttpUrls(String url) {
    assertThrows(BadTargetException.class, () -> Targets.parseBaseUrl(url));
  }
}
