package dev.keyward.policies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class PolicyLoaderTest {

  static Path testdata(String name) {
    return Path.of("src/test/resources/testdata", name);
  }

  private static List<PolicyProblem> problemsOf(String file) {
    InvalidPolicyException e =
        assertThrows(InvalidPolicyException.class, () -> PolicyLoader.load(testdata(file)));
    return e.problems();
  }

  private static PolicyProblem onlyProblem(String file) {
    List<PolicyProblem> problems = problemsOf(file);
    assertEquals(1, problems.size(), problems.toString());
    return problems.get(0);
  }

  @Test
  void loadsAValidDocument() throws Exception {
    PolicySet policy = PolicyLoader.load(testdata("full.yaml"));
    assertEquals(4, policy.credentialCount());
    assertEquals(3, policy.routeCount());
    assertEquals(4, policy.grantCount());
    assertEquals("/api/v1", policy.route("openrouter").orElseThrow().upstream().path());
  }

  @Test
  void unknownFieldIsReportedWithItsLocationAndTheLikelyName() {
    PolicyProblem problem = problemsOf("unknown_field.yaml").stream()
        .filter(p -> p.message().startsWith("unknown field")).findFirst().orElseThrow();
    assertEquals(3, problem.line());
    assertEquals(5, problem.column());
    assertTrue(problem.message().contains("did you mean 'allowed_domains'"), problem.message());
  }

  @Test
  void everyProblemOfARouteIsReportedInOneRun() {
    List<String> messages = problemsOf("route_every_upstream_problem.yaml").stream()
        .map(PolicyProblem::toString).toList();
    for (String expected : List.of("outside the allowed domains", "port 8080 is not in allowed_ports",
        "allow_insecure_http", "12 parsecs", "invalid route name 'Bad_Name'",
        "must start with https://")) {
      assertTrue(messages.stream().anyMatch(m -> m.contains(expected)),
          "'" + expected + "' not reported: " + messages);
    }
  }

  @Test
  void bareStarIsRefused() {
    PolicyProblem problem = onlyProblem("bare_star.yaml");
    assertEquals(3, problem.line());
    assertTrue(problem.message().contains("would allow every host"), problem.message());
  }

  @Test
  void wildcardWithoutDotIsRefusedWithTheAllowedForm() {
    assertTrue(onlyProblem("leading_glob_without_dot.yaml").message().contains("leading '*.' label"));
  }

  @Test
  void wildcardInTheMiddleIsRefused() {
    assertTrue(onlyProblem("middle_glob.yaml").message().contains("leading '*.' label"));
  }

  @Test
  void upperCaseHostIsRefusedWithTheLowerCaseForm() {
    assertTrue(onlyProblem("uppercase_host.yaml").message().contains("use 'api.anthropic.com'"));
  }

  @Test
  void trailingDotIsRefusedWithTheFormWithoutIt() {
    String message = onlyProblem("trailing_dot.yaml").message();
    assertTrue(message.contains("use 'api.anthropic.com'") && message.contains("trailing dot"),
        message);
  }

  @Test
  void unicodeHostIsRefusedWithItsPunycodeForm() {
    String message = onlyProblem("unicode_host.yaml").message();
    assertTrue(message.contains("use 'xn--bcher-kva.example'"), message);
  }

  @Test
  void duplicateRouteNameIsRefused() {
    PolicyProblem problem = onlyProblem("duplicate_route.yaml");
    assertEquals(8, problem.line());
    assertTrue(problem.message().contains("duplicate route name 'openrouter'"));
  }

  @Test
  void grantNamingAnUnknownCredentialIsRefused() {
    PolicyProblem problem = onlyProblem("grant_unknown_credential.yaml");
    assertEquals(7, problem.line());
    assertTrue(problem.message().contains("unknown credential 'openruoter'"));
  }

  @Test
  void upstreamOutsideTheCredentialsAllowedDomainsIsRefused() {
    PolicyProblem problem = onlyProblem("upstream_outside_allowed_domains.yaml");
    assertEquals(6, problem.line());
    assertTrue(problem.message().contains("outside the allowed domains"), problem.message());
  }

  @Test
  void syntaxErrorIsReportedWithItsLocation() {
    PolicyProblem problem = onlyProblem("not_yaml.yaml");
    assertTrue(problem.line() > 0, problem.toString());
    assertTrue(problem.message().startsWith("not valid YAML"), problem.message());
  }

  @Test
  void everyProblemIsReportedNotJustTheFirst() {
    List<PolicyProblem> problems = problemsOf("many_problems.yaml");
    List<String> messages = problems.stream().map(PolicyProblem::message).toList();
    String all = String.join("\n", messages);
    assertTrue(all.contains("unknown mode 'audit'"), all);
    assertTrue(all.contains("invalid credential name 'Open Router'"), all);
    assertTrue(all.contains("would allow every host"), all);
    assertTrue(all.contains("leading '*.' label"), all);
    assertTrue(all.contains("not a port number"), all);
    assertTrue(all.contains("unknown credential 'missing'"), all);
    assertTrue(all.contains("route 'r1': the URL must start with https://"), all);
    assertTrue(all.contains("names no subject"), all);
    assertTrue(all.contains("write method 'post' as 'POST'"), all);
    assertTrue(all.contains("unknown method 'FETCH'"), all);
    assertTrue(all.contains("dot segments"), all);
    assertTrue(problems.size() >= 10, all);
  }

  @Test
  void problemsPrintAsFileLineColumn() {
    PolicyProblem problem = onlyProblem("bare_star.yaml");
    assertTrue(problem.toString().matches(".*bare_star\\.yaml:3:\\d+: .*"), problem.toString());
  }
}
