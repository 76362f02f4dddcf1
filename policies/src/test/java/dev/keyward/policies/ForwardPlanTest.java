package dev.keyward.policies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ForwardPlanTest {

  private static PolicySet policy;

  @BeforeAll
  static void load() throws Exception {
    policy = PolicyLoader.load(PolicyLoaderTest.testdata("forward.yaml"));
  }

  private static ForwardPlan plan(String tenant, String scheme, String host, int port) {
    return policy.forwardPlan("bot", tenant, Set.of(), scheme, host, port);
  }

  @Test
  void interceptsAHostAGrantedCredentialApplies() {
    ForwardPlan plan = plan("acme", "https", "api.github.com", 443);
    assertEquals(ForwardPlan.Kind.INTERCEPT, plan.kind());
    assertEquals(List.of("github"), plan.credentials());
    assertTrue(plan.decision().allowed());
  }

  @Test
  void doesNotInterceptForAnAgentWithoutTheGrant() {
    ForwardPlan plan = plan("umbrella", "https", "api.github.com", 443);
    assertEquals(ForwardPlan.Kind.REFUSE, plan.kind());
    assertEquals("egress_denied", plan.decision().code());
  }

  @Test
  void doesNotInterceptAPortTheCredentialDoesNotAllow() {
    assertEquals(ForwardPlan.Kind.REFUSE, plan("acme", "https", "api.github.com", 8443).kind());
  }

  @Test
  void interceptsPlainHttpOnlyWhereTheCredentialAllowsIt() {
    assertEquals(ForwardPlan.Kind.INTERCEPT, plan("acme", "http", "legacy.example.com", 80).kind());
    assertEquals(ForwardPlan.Kind.REFUSE, plan("acme", "http", "api.openai.com", 443).kind());
  }

  @Test
  void tunnelsAHostAnEgressRuleAllows() {
    ForwardPlan plan = plan("acme", "https", "upload.pypi.org", 443);
    assertEquals(ForwardPlan.Kind.TUNNEL, plan.kind());
    assertEquals("egress allow *.pypi.org", plan.decision().rule());
    assertTrue(plan.credentials().isEmpty());
  }

  @Test
  void aDenyRuleWinsOverAnAllowRuleListedBeforeIt() {
    ForwardPlan plan = plan("acme", "https", "secret.pypi.org", 443);
    assertEquals(ForwardPlan.Kind.REFUSE, plan.kind());
    assertEquals("egress deny secret.pypi.org", plan.decision().rule());
  }

  @Test
  void refusesAnUnlistedHostByDefault() {
    ForwardPlan plan = plan("acme", "https", "example.org", 443);
    assertEquals(ForwardPlan.Kind.REFUSE, plan.kind());
    assertEquals("egress_denied", plan.decision().code());
    assertTrue(plan.decision().reason().contains("deny by default"), plan.decision().reason());
  }

  @Test
  void anAllowRuleOpensPort443UnlessItNamesPorts() {
    assertEquals(ForwardPlan.Kind.REFUSE, plan("acme", "http", "upload.pypi.org", 80).kind());
    assertEquals(ForwardPlan.Kind.TUNNEL, plan("acme", "http", "files.pythonhosted.org", 80).kind());
  }

  @Test
  void aTunnelMayReachOnlyTheNonPublicAddressesItsRuleAllows() throws Exception {
    ForwardPlan plan = plan("acme", "https", "pkg.internal.example", 443);
    assertTrue(policy.decideForwardAddress(plan, InetAddress.getByName("10.2.3.4")).allowed());
    Decision outside = policy.decideForwardAddress(plan, InetAddress.getByName("10.3.0.1"));
    assertEquals("address_not_allowed", outside.code());
    assertFalse(policy.decideForwardAddress(plan("acme", "https", "upload.pypi.org", 443),
        InetAddress.getByName("127.0.0.1")).allowed());
  }

  @Test
  void aRequestWithoutAKeyToAnInterceptedHostUsesTheCredentialsAddressRanges() throws Exception {
    ForwardPlan plan = plan("acme", "https", "legacy.example.com", 443);
    assertTrue(policy.decideForwardAddress(plan, InetAddress.getByName("10.1.0.9")).allowed());
    assertFalse(policy.decideForwardAddress(plan, InetAddress.getByName("10.2.0.9")).allowed());
  }

  @Test
  void aRequestWithoutAKeyGoesWhereTheForwardPlanLetsItGo() throws Exception {
    assertTrue(policy.decideWithoutKey("bot", "acme", Set.of(),
        Targets.parseBaseUrl("https://api.github.com/user"), "GET").allowed());
    assertEquals("egress_denied", policy.decideWithoutKey("bot", "acme", Set.of(),
        Targets.parseBaseUrl("https://example.org/"), "GET").code());
  }

  @Test
  void aRequestWithoutAKeyIsHeldToTheMethodsAndPathsOfTheGrant() throws Exception {
    Decision allowed = policy.decideWithoutKey("bot", "scoped", Set.of(),
        Targets.parseBaseUrl("https://api.github.com/repos/acme/app"), "GET");
    assertEquals(Decision.Effect.ALLOW, allowed.effect(), allowed.reason());
    assertEquals("", allowed.credentialId());
    Decision post = policy.decideWithoutKey("bot", "scoped", Set.of(),
        Targets.parseBaseUrl("https://api.github.com/repos/acme/app"), "POST");
    assertEquals("method_not_allowed", post.code());
    assertFalse(post.allowed());
    assertEquals("", post.credentialId());
    Decision elsewhere = policy.decideWithoutKey("bot", "scoped", Set.of(),
        Targets.parseBaseUrl("https://api.github.com/user"), "GET");
    assertEquals("path_not_allowed", elsewhere.code());
    assertFalse(elsewhere.allowed());
  }

  @Test
  void aPlaceholderOnTheWrongHostIsRefusedEvenInReportMode() {
    Decision decision = policy.placeholderWrongHost("github", "evil.example",
        "the placeholder of credential 'github' may not be sent there");
    assertEquals(Decision.Effect.DENY, decision.effect());
    assertEquals("placeholder_wrong_host", decision.code());
    assertEquals("github", decision.credentialId());
  }

  @Test
  void everyEgressProblemIsReportedWithItsFix() {
    InvalidPolicyException e = org.junit.jupiter.api.Assertions.assertThrows(
        InvalidPolicyException.class,
        () -> PolicyLoader.load(PolicyLoaderTest.testdata("egress_problems.yaml")));
    List<String> messages = e.problems().stream().map(PolicyProblem::toString).toList();
    for (String expected : List.of("would allow every host", "belongs to allow rules",
        "exactly one of 'allow' or 'deny'", "not a port number",
        "did you mean 'allow_addresses'")) {
      assertTrue(messages.stream().anyMatch(m -> m.contains(expected)),
          "'" + expected + "' not reported: " + messages);
    }
  }
}
