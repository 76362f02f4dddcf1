package dev.keyward.policies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.policies.Decision.Effect;
import java.net.InetAddress;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PolicySetTest {

  private static PolicySet policy;

  @BeforeAll
  static void load() throws Exception {
    policy = PolicyLoader.load(PolicyLoaderTest.testdata("full.yaml"));
  }

  private static Decision decide(String agent, String tenant, Set<String> groups, String credential,
      String url, String method) throws Exception {
    Target base = Targets.parseBaseUrl(url);
    return policy.decide(new DecisionRequest(agent, tenant, groups, credential, base, method));
  }

  private static Decision decide(String tenant, String credential, String url) throws Exception {
    return decide("agent-1", tenant, Set.of(), credential, url, "POST");
  }

  @Test
  void allowsAGrantedAgentOnAnAllowedDomain() throws Exception {
    Decision decision = decide("acme", "openrouter", "https://api.openrouter.ai/v1/chat");
    assertEquals(Effect.ALLOW, decision.effect());
    assertEquals("allowed", decision.code());
    assertEquals("acme-all", decision.rule());
  }

  @Test
  void deniesByDefaultWhenNoGrantApplies() throws Exception {
    Decision decision = decide("umbrella", "openrouter", "https://openrouter.ai/api/v1/chat");
    assertEquals(Effect.DENY, decision.effect());
    assertEquals("no_grant", decision.code());
  }

  @Test
  void deniesAHostOutsideTheAllowedDomains() throws Exception {
    assertEquals("domain_not_allowed",
        decide("acme", "anthropic", "https://api.anthropic.com.evil.com/v1").code());
  }

  @Test
  void deniesAPortThatIsNotAllowed() throws Exception {
    assertEquals("port_not_allowed", decide("acme", "anthropic", "https://api.anthropic.com:8443/").code());
  }

  @Test
  void deniesPlainHttpUnlessTheCredentialAllowsIt() throws Exception {
    assertEquals("scheme_not_allowed", decide("acme", "anthropic", "http://api.anthropic.com:443/").code());
    assertTrue(decide("acme", "local", "http://127.0.0.1:8080/x").allowed());
  }

  @Test
  void deniesAMethodTheGrantDoesNotList() throws Exception {
    Decision decision = decide("bot-1", "globex", Set.of(), "openrouter",
        "https://openrouter.ai/api/v1/chat", "DELETE");
    assertEquals("method_not_allowed", decision.code());
  }

  @Test
  void pathPrefixesMatchWholeSegmentsOnly() throws Exception {
    assertTrue(decide("bot-1", "globex", Set.of(), "openrouter",
        "https://openrouter.ai/api/v1/chat/completions", "POST").allowed());
    assertEquals("path_not_allowed", decide("bot-1", "globex", Set.of(), "openrouter",
        "https://openrouter.ai/api/v1/chatbot", "POST").code());
  }

  @Test
  void grantNamingAgentAndTenantNeedsBoth() throws Exception {
    assertEquals("no_grant", decide("bot-2", "globex", Set.of(), "openrouter",
        "https://openrouter.ai/api/v1/chat", "POST").code());
  }

  @Test
  void groupGrantAppliesToAnAgentInThatGroup() throws Exception {
    assertTrue(decide("agent-9", "umbrella", Set.of("research"), "anthropic",
        "https://api.anthropic.com/v1/messages", "POST").allowed());
    assertEquals("no_grant", decide("agent-9", "umbrella", Set.of("sales"), "anthropic",
        "https://api.anthropic.com/v1/messages", "POST").code());
  }

  @Test
  void reportModeGrantAllowsButSaysWouldDeny() throws Exception {
    Decision decision = decide("initech", "openrouter", "https://openrouter.ai/api/v1/chat");
    assertEquals(Effect.WOULD_DENY, decision.effect());
    assertTrue(decision.allowed());
    assertEquals("path_not_allowed", decision.code());
    assertEquals("rollout", decision.rule());
  }

  @Test
  void reportModeCredentialAllowsAnOffListHostButSaysWouldDeny() throws Exception {
    Decision decision = decide("acme", "trial", "https://api.evil.example/v1");
    assertEquals(Effect.WOULD_DENY, decision.effect());
    assertEquals("domain_not_allowed", decision.code());
  }

  @Test
  void enforcedDenialWinsOverReportModeDenial() throws Exception {
    Decision decision = decide("umbrella", "trial", "https://api.evil.example/v1");
    assertEquals(Effect.DENY, decision.effect());
    assertEquals("no_grant", decision.code());
  }

  @Test
  void unknownCredentialIsDenied() throws Exception {
    assertEquals("unknown_credential", decide("acme", "nope", "https://openrouter.ai/").code());
  }

  @Test
  void addressGuardDeniesLoopbackUnlessTheCredentialExemptsIt() throws Exception {
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    Decision denied = policy.decideAddress("openrouter", loopback);
    assertFalse(denied.allowed());
    assertEquals("address_not_allowed", denied.code());
    assertTrue(denied.reason().contains("loopback"));
    assertTrue(policy.decideAddress("local", loopback).allowed());
  }

  @Test
  void addressGuardIgnoresReportMode() throws Exception {
    assertFalse(policy.decideAddress("trial", InetAddress.getByName("10.1.2.3")).allowed());
  }
}
