package dev.keyward.proxy.console;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.keyward.policies.PolicyLoader;
import dev.keyward.policies.PolicySet;
import java.util.List;
import org.junit.jupiter.api.Test;

class UsagePagesTest {

  @Test
  void aRouteWithTargetsListsEachTargetsUpstreamAndCredential() throws Exception {
    PolicySet policy = PolicyLoader.parse("policy.yaml", """
        credentials:
          - id: openai
            allowed_domains: ["api.openai.com"]
          - id: openrouter
            allowed_domains: ["openrouter.ai"]
        routes:
          - name: plain
            upstream: https://api.openai.com/v1
            credential: openai
          - name: chat
            api: openai
            targets:
              - {name: primary, credential: openai, upstream: "https://api.openai.com/v1"}
              - {name: backup, credential: openrouter, upstream: "https://openrouter.ai/api/v1"}
        grants:
          - tenants: [acme]
            credentials: [openai, openrouter]
        """);
    List<UsagePages.RouteRow> rows = policy.routes().stream().map(UsagePages::routeRow).toList();

    UsagePages.RouteRow chat = rows.stream().filter(r -> r.name().equals("chat")).findFirst()
        .orElseThrow();
    assertEquals("fallback", chat.strategy());
    assertEquals(List.of(
        new UsagePages.TargetRow("primary", "https://api.openai.com/v1", "openai"),
        new UsagePages.TargetRow("backup", "https://openrouter.ai/api/v1", "openrouter")),
        chat.targets());
    UsagePages.RouteRow plain = rows.stream().filter(r -> r.name().equals("plain")).findFirst()
        .orElseThrow();
    assertEquals("", plain.strategy());
    assertEquals(List.of(new UsagePages.TargetRow("", "https://api.openai.com/v1", "openai")),
        plain.targets());
  }
}
