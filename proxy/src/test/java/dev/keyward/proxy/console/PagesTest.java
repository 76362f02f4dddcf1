package dev.keyward.proxy.console;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The templates escape what agents wrote, in text and in attributes (no browser needed). */
class PagesTest {

  static final String PAYLOAD = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>";

  final Pages pages = new Pages();
  final Frame frame = new Frame("Audit trail", "audit", "olivia", "operator", true, "csrf-1",
      null);

  @Test
  void aHostileAuditEntryIsRenderedAsText() {
    JsonObject entry = new JsonObject().put("seq", 3).put("type", "request")
        .put("time", "2026-12-01T10:00:00Z").put("agent", "bot").put("method", "GET")
        .put("target_host", "127.0.0.1").put("path", "/v1/" + PAYLOAD)
        .put("decision", "allowed").put("code", "allowed").put("reason", PAYLOAD)
        .put("usage", new JsonObject().put("model", PAYLOAD));
    AuditFilter filter = AuditFilter.parse(Map.of("model", PAYLOAD)::get).filter();
    String html = pages.render("audit", frame, new AuditPages.TrailView(filter, List.of(),
        List.of(AuditPages.row(entry)), null, null, null, "/console/audit/export.jsonl",
        "/console/audit/export.csv", List.of(), AuditFilter.DECISIONS));
    assertFalse(html.contains("<script>"), html);
    assertFalse(html.contains("<img"), html);
    assertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), html);
    // In the filter form's value attribute, the quote cannot close the attribute.
    assertTrue(html.contains("value=\"&lt;script>alert(1)&lt;/script>&#34;&#39;>&lt;img"), html);
  }

  @Test
  void anErrorMessageIsRenderedAsText() {
    String html = pages.render("error", Frame.signedOut("Not done"),
        new ConsoleRoutes.ErrorView("Not done", PAYLOAD, "/console/"));
    assertFalse(html.contains("<script>"), html);
    assertTrue(html.contains("&lt;img src=x onerror=alert(2)&gt;"), html);
  }

  @Test
  void noPageHasInlineScriptOrStyle() {
    String html = pages.render("sign-in", Frame.signedOut("Sign in"),
        new SignIn.View("nonce", null));
    assertFalse(html.contains("<script"), html);
    assertFalse(html.contains("style="), html);
    assertFalse(html.contains("<style"), html);
  }
}
