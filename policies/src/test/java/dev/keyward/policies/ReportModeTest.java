package dev.keyward.policies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.policies.Decision.Effect;
import java.net.InetAddress;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What report mode may relax, deny code by deny code, with every rule of the policy in report
 * mode. Report mode only ever relaxes a rule that applied to a request a grant matched: the
 * domain, port and scheme of the credential, the method and path of the grant. Nothing else
 * (no grant at all, an unknown credential, the SSRF guard, the stored key's own rules) is ever
 * relaxed. A new deny code must be placed in one of the two lists below.
 */
class ReportModeTest {

  static final Set<DenyCode> RELAXED_WHERE_A_GRANT_MATCHED = EnumSet.of(
      DenyCode.SCHEME_NOT_ALLOWED, DenyCode.DOMAIN_NOT_ALLOWED, DenyCode.PORT_NOT_ALLOWED,
      DenyCode.METHOD_NOT_ALLOWED, DenyCode.PATH_NOT_ALLOWED);

  private static PolicySet policy;

  @BeforeAll
  static void load() throws Exception {
    policy = PolicyLoader.load(PolicyLoaderTest.testdata("report_everywhere.yaml"));
  }

  static Decision decide(String tenant, String credential, String url, String method)
      throws Exception {
    return policy.decide(new DecisionRequest("agent-1", tenant, Set.of(), credential,
        Targets.parseBaseUrl(url), method));
  }

  @ParameterizedTest
  @EnumSource(DenyCode.class)
  void eachDenyCodeSaysWhetherReportModeMayRelaxIt(DenyCode code) {
    assertEquals(RELAXED_WHERE_A_GRANT_MATCHED.contains(code), code.reportModeMayRelax(),
        code.code());
  }

  @Test
  void noGrantIsDeniedEvenWhenTheDocumentIsInReportMode() throws Exception {
    Decision decision = decide("umbrella", "openrouter", "https://openrouter.ai/api/v1/chat", "POST");
    assertEquals(Effect.DENY, decision.effect());
    assertEquals("no_grant", decision.code());
  }

  @Test
  void aCredentialNoGrantMentionsIsDeniedInReportMode() throws Exception {
    Decision decision = decide("acme", "ungranted", "https://api.openai.com/v1/chat", "POST");
    assertEquals(Effect.DENY, decision.effect());
    assertEquals("no_grant", decision.code());
  }

  @Test
  void anUnknownCredentialIsDeniedInReportMode() throws Exception {
    assertEquals(Effect.DENY,
        decide("acme", "nope", "https://openrouter.ai/api/v1/chat", "POST").effect());
  }

  @Test
  void theCredentialsDomainPortAndSchemeAreRelaxedWhereAGrantMatched() throws Exception {
    for (String url : List.of("https://evil.example/api/v1/chat",
        "https://openrouter.ai:8443/api/v1/chat", "http://openrouter.ai/api/v1/chat")) {
      Decision decision = decide("acme", "openrouter", url, "POST");
      assertEquals(Effect.WOULD_DENY, decision.effect(), url);
      assertTrue(RELAXED_WHERE_A_GRANT_MATCHED.contains(codeOf(decision)), url);
    }
  }

  @Test
  void theCredentialsDomainIsNotRelaxedWhereNoGrantMatched() throws Exception {
    Decision decision = decide("umbrella", "openrouter", "https://evil.example/api/v1/chat", "POST");
    assertEquals(Effect.DENY, decision.effect());
  }

  @Test
  void theGrantsMethodAndPathAreRelaxed() throws Exception {
    assertEquals("method_not_allowed",
        decide("acme", "openrouter", "https://openrouter.ai/api/v1/chat", "DELETE").code());
    Decision path = decide("acme", "openrouter", "https://openrouter.ai/api/v1/files", "POST");
    assertEquals(Effect.WOULD_DENY, path.effect());
    assertEquals("path_not_allowed", path.code());
  }

  @Test
  void theSsrfGuardIsNeverRelaxed() throws Exception {
    assertEquals(Effect.DENY,
        policy.decideAddress("openrouter", InetAddress.getByName("169.254.169.254")).effect());
  }

  static DenyCode codeOf(Decision decision) {
    for (DenyCode code : DenyCode.values()) {
      if (code.code().equals(decision.code())) {
        return code;
      }
    }
    throw new AssertionError("no deny code " + decision.code());
  }
}
