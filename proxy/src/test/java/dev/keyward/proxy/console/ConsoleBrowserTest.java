package dev.keyward.proxy.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.testing.AuditCapture;
import dev.keyward.proxy.testing.Browser;
import dev.keyward.proxy.testing.RawHttp;
import dev.keyward.proxy.testing.RecordingUpstream;
import dev.keyward.proxy.testing.Secrets;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.WebElement;

/**
 * The console in Debian's headless Chromium: signing in, filtering the trail, adding and rotating
 * a credential (the next call uses the new key), an auditor refused a change, forged forms
 * refused, and attacker-written text shown as text with no script run. Every page is saved as a
 * screenshot under {@code target/console-screenshots}.
 */
class ConsoleBrowserTest {

  static final String FIRST_KEY = "sk-console-browser-first-0123456789ab";
  static final String SECOND_KEY = "sk-console-browser-second-0123456789";

  static Browser browser;

  @TempDir
  Path dir;

  ConsoleFixture fixture;

  @BeforeAll
  static void startBrowser() throws Exception {
    browser = Browser.startOrSkip();
  }

  @AfterAll
  static void stopBrowser() throws Exception {
    if (browser != null) {
      browser.close();
    }
  }

  @BeforeEach
  void start() throws Exception {
    fixture = new ConsoleFixture(dir);
    browser.consoleMessages(); // drop what earlier tests left
  }

  @AfterEach
  void stop() throws Exception {
    fixture.close();
  }

  /** Signs in through the form, from a browser with no cookie of an earlier test. */
  void signIn(String token) {
    browser.open(fixture.consoleUrl("/sign-in"));
    browser.forgetCookies();
    browser.open(fixture.consoleUrl("/sign-in"));
    browser.find("#token").sendKeys(token);
    browser.follow("#sign-in");
    assertTrue(browser.driver().getCurrentUrl().endsWith("/console/audit"),
        browser.driver().getCurrentUrl());
  }

  void assertNoScriptRanAndNothingWasBlocked(String title) {
    assertEquals(title + " · Keyward console", browser.driver().getTitle());
    assertEquals(0L, browser.script("return document.querySelectorAll('script').length;"));
    assertEquals(null, browser.script("return window.xss === undefined ? null : window.xss;"));
    List<String> messages = browser.consoleMessages();
    assertTrue(messages.stream().noneMatch(m -> m.contains("Content Security Policy")
        || m.contains("Refused to")), "the browser blocked something: " + messages);
  }

  @Test
  void signingInWithAnOperatorTokenOpensTheAuditTrail() throws Exception {
    browser.open(fixture.consoleUrl("/sign-in"));
    browser.forgetCookies();
    browser.open(fixture.consoleUrl(""));
    assertTrue(browser.driver().getCurrentUrl().endsWith("/console/sign-in"));
    browser.screenshot("sign-in");
    browser.find("#token").sendKeys(fixture.operatorToken);
    browser.follow("#sign-in");
    assertTrue(browser.driver().getCurrentUrl().endsWith("/console/audit"));
    assertEquals(ConsoleFixture.OPERATOR, browser.find(".who .operator").getText());
    assertEquals("OPERATOR", browser.find(".who .role").getText().toUpperCase());
    // The session is an HttpOnly cookie: nothing of it, and no token, is in reach of a script.
    assertEquals("", browser.script("return document.cookie;"));
    assertEquals(0L, browser.script("return window.localStorage.length"
        + " + window.sessionStorage.length;"));
    assertNoScriptRanAndNothingWasBlocked("Audit trail");
  }

  @Test
  void filteringTheAuditTrailShowsOnlyTheMatchingEntries() throws Exception {
    fixture.traffic();
    new AuditCapture(dir).first(r -> "nightly-eval".equals(r.getString("agent")));
    signIn(fixture.auditorToken);
    assertTrue(browser.findAll("#trail tbody tr").size() >= 4);
    browser.find("#filters input[name=agent]").sendKeys("nightly-eval");
    browser.find("#filters input[name=model]").sendKeys("gpt-5-nano");
    browser.follow("#apply-filters");
    assertTrue(browser.driver().getCurrentUrl().contains("agent=nightly-eval"));
    List<WebElement> rows = browser.findAll("#trail tbody tr");
    assertEquals(1, rows.size());
    assertTrue(rows.get(0).getText().contains("nightly-eval"));
    assertTrue(rows.get(0).getText().contains("gpt-5-nano"), "the heartbeat tier's model");
    browser.screenshot("audit-trail");
    browser.follow(rows.get(0).findElement(org.openqa.selenium.By.cssSelector("a")));
    String detail = browser.text();
    assertTrue(detail.contains("Usage and cost") && detail.contains("heartbeat"), detail);
    assertTrue(detail.contains("key version"), detail);
    browser.screenshot("audit-entry");
    assertNoScriptRanAndNothingWasBlocked(browser.driver().getTitle()
        .replace(" · Keyward console", ""));
  }

  @Test
  void aCredentialAddedAndRotatedInTheConsoleIsUsedByTheNextCall() throws Exception {
    Secrets.register(FIRST_KEY);
    Secrets.register(SECOND_KEY);
    String token = fixture.installation.token("support-bot", "acme").token();
    signIn(fixture.operatorToken);
    browser.open(fixture.consoleUrl("/credentials"));
    browser.follow("#add-credential");
    browser.find("#tenant").clear();
    browser.find("#tenant").sendKeys("acme");
    browser.find("#id").sendKeys("fresh");
    browser.find("input[name=format][value=bearer]").click();
    browser.find("#allowed_domains").sendKeys("127.0.0.1");
    browser.find("#secret").sendKeys(FIRST_KEY);
    browser.screenshot("credential-add");
    browser.follow("#add");
    assertTrue(browser.find(".flash").getText().startsWith("Added acme/fresh (version 1)"));
    assertEquals(200, fixture.agent.post("/r/fresh/models", token, "{}").statusCode());
    assertEquals("Bearer " + FIRST_KEY, lastAuthorization(fixture.upstream));

    browser.follow("#rotate");
    browser.screenshot("credential-rotate");
    browser.find("#secret").sendKeys(SECOND_KEY);
    browser.follow("#confirm");
    assertTrue(browser.find(".flash").getText().contains("version 2 is in use"));
    assertEquals("v2", browser.find("#current-version").getText());
    browser.screenshot("credential");
    HttpResponse<String> call = fixture.agent.post("/r/fresh/models", token, "{}");
    assertEquals(200, call.statusCode());
    assertEquals("Bearer " + SECOND_KEY, lastAuthorization(fixture.upstream));
    String requestId = call.headers().firstValue("x-request-id").orElseThrow();
    assertEquals(2, new AuditCapture(dir).forRequest(requestId)
        .getInteger("credential_version"));
    assertEquals(List.of(), Secrets.foundIn(browser.driver().getPageSource()));
    assertEquals(ConsoleFixture.OPERATOR, new AuditCapture(dir).first(r ->
        "credential.rotate".equals(r.getString("action"))).getString("operator"));
  }

  static String lastAuthorization(RecordingUpstream upstream) {
    List<RecordingUpstream.Received> received = upstream.received();
    return received.get(received.size() - 1).headers().get("Authorization");
  }

  @Test
  void anAuditorIsRefusedAChange() throws Exception {
    signIn(fixture.auditorToken);
    browser.open(fixture.consoleUrl("/credentials"));
    assertTrue(browser.findAll("#add-credential").isEmpty());
    browser.open(fixture.consoleUrl("/credentials/acme/fake"));
    assertTrue(browser.findAll("#rotate").isEmpty() && browser.findAll("#disable").isEmpty());
    browser.open(fixture.consoleUrl("/credentials/acme/fake/disable"));
    assertTrue(browser.text().contains("may only read"), browser.text());
    // The form an operator would get, sent with this session's own CSRF token.
    postFromPage("/console/credentials/acme/fake/disable", null);
    assertTrue(browser.text().contains("credential.disable needs the operator role"),
        browser.text());
    browser.screenshot("auditor-refused");
    JsonObject record = new AuditCapture(dir).first(r ->
        "credential.disable".equals(r.getString("action")));
    assertEquals("denied", record.getString("outcome"));
    assertEquals(ConsoleFixture.AUDITOR, record.getString("operator"));
    browser.open(fixture.consoleUrl("/credentials/acme/fake"));
    assertFalse(browser.text().contains("disabled"));
  }

  /**
   * Submits a form built in the page, as a user's click would, with the page's CSRF token or
   * {@code csrf} instead.
   */
  void postFromPage(String action, String csrf) {
    browser.navigateByScript("var form = document.createElement('form'); form.method = 'post';"
        + " form.action = arguments[0]; var input = document.createElement('input');"
        + " input.type = 'hidden'; input.name = 'csrf';"
        + " input.value = arguments[1] === null"
        + "   ? document.querySelector('input[name=csrf]').value : arguments[1];"
        + " form.appendChild(input); document.body.appendChild(form); form.submit();",
        action, csrf);
  }

  @Test
  void aFormFromAnotherPageOrWithAForgedTokenIsRefused() throws Exception {
    signIn(fixture.operatorToken);
    // Another site on this host (same-site, so the Strict cookie is sent) posts to the console.
    String action = fixture.consoleUrl("/credentials/acme/fake/disable");
    HttpServer attacker = fixture.vertx.createHttpServer().requestHandler(request ->
        request.response().putHeader("content-type", "text/html").end("<!DOCTYPE html><html>"
            + "<head><title>Win a prize</title></head><body><form method=\"post\" action=\""
            + action + "\"><input type=\"hidden\" name=\"csrf\" value=\"guess\">"
            + "<button id=\"win\">Claim</button></form></body></html>"));
    attacker.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    try {
      browser.open("http://127.0.0.1:" + attacker.actualPort() + "/");
      browser.follow("#win");
      assertTrue(browser.text().contains("did not come from a console page"), browser.text());
    } finally {
      attacker.close();
    }
    // The console's own confirmation, with its token changed.
    browser.open(fixture.consoleUrl("/credentials/acme/fake/disable"));
    browser.script("document.querySelector('#confirm-form input[name=csrf]').value"
        + " = 'forged';");
    browser.follow("#confirm");
    assertTrue(browser.text().contains("did not come from a console page"), browser.text());
    browser.screenshot("csrf-refused");
    assertEquals(2, new AuditCapture(dir).records().stream().filter(r ->
        ConsoleRoutes.CSRF_REFUSED.equals(r.getString("code"))).count());
    browser.open(fixture.consoleUrl("/credentials/acme/fake"));
    assertTrue(browser.findAll("#disable").size() == 1, "still enabled");
  }

  @Test
  void attackerWrittenTextIsShownAsTextAndNoScriptRuns() throws Exception {
    // Tenant beta: no money budget, which would refuse a model without a price.
    String token = fixture.installation.token("support-bot", "beta").token();
    String model = "<img/src=x/onerror=window.xss=1>";
    String path = "<script>window.xss=2</script>\"'<b>";
    String unrouted = "/<svg/onload=window.xss=3>";
    String agentId = "<iframe/src=javascript:window.xss=4>";
    assertEquals(200, fixture.agent.post("/r/openai/chat/completions", token, new JsonObject()
        .put("model", model).put("messages", new JsonArray().add(new JsonObject()
            .put("role", "user").put("content", "hi"))).encode()).statusCode());
    try (RawHttp raw = new RawHttp(fixture.keyward.port())) {
      raw.write("GET /r/fresh/" + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + "Authorization: Bearer " + token + "\r\nX-Request-Id: <b>kw</b>\r\n"
          + "Keyward-Credential: <i>x</i>\r\nConnection: close\r\n\r\n").readAll();
    }
    try (RawHttp raw = new RawHttp(fixture.keyward.port())) {
      raw.write("GET " + unrouted + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
          .readAll();
    }
    // An operator's failed call keeps the id it was given as its resource.
    new dev.keyward.proxy.testing.Agent(fixture.keyward.adminPort()).post("/v1/agents",
        fixture.operatorToken, new JsonObject().put("id", agentId).put("tenant", "acme")
            .encode());
    AuditCapture audit = new AuditCapture(dir);
    audit.first(r -> r.getString("path", "").contains("<svg"));
    audit.first(r -> r.getString("resource", "").contains("<iframe"));
    audit.first(r -> r.getJsonObject("usage") != null
        && model.equals(r.getJsonObject("usage").getString("model")));

    signIn(fixture.operatorToken);
    String trail = browser.text();
    assertTrue(trail.contains(model), trail);
    assertTrue(trail.contains("/v1/" + path), trail);
    assertTrue(trail.contains(unrouted), trail);
    assertTrue(trail.contains("agent:" + agentId), trail);
    assertTrue(browser.findAll("#trail img, #trail svg, #trail iframe, #trail b").isEmpty());
    browser.screenshot("xss-audit-trail");
    assertNoScriptRanAndNothingWasBlocked("Audit trail");
    for (JsonObject entry : audit.records()) {
      browser.open(fixture.consoleUrl("/audit/entries/" + entry.getLong("seq")));
      assertNoScriptRanAndNothingWasBlocked("Audit entry " + entry.getLong("seq"));
    }
    browser.open(fixture.consoleUrl("/audit?model=" + java.net.URLEncoder.encode(model,
        java.nio.charset.StandardCharsets.UTF_8)));
    assertEquals(model, browser.find("#filters input[name=model]").getAttribute("value"));
    assertEquals(1, browser.findAll("#trail tbody tr").size());
    assertNoScriptRanAndNothingWasBlocked("Audit trail");
    for (String page : List.of("/report", "/usage", "/agents", "/audit/verify")) {
      browser.open(fixture.consoleUrl(page));
      assertTrue(browser.findAll("main img, main iframe, main b").isEmpty(), page);
      assertNoScriptRanAndNothingWasBlocked(browser.driver().getTitle()
          .replace(" · Keyward console", ""));
    }
  }

  @Test
  void everyPageRendersForAnOperator() throws Exception {
    fixture.traffic();
    new AuditCapture(dir).first(r -> "nightly-eval".equals(r.getString("agent")));
    signIn(fixture.operatorToken);
    // The verdict turns green once the store has witnessed the new log (audit.witness_interval).
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(15)).until(() -> {
      browser.open(fixture.consoleUrl("/audit/verify"));
      return "INTACT".equals(browser.find("#verdict strong").getText());
    });
    String[][] pages = {{"/audit", "audit"}, {"/audit/verify", "verify"},
        {"/report", "key-access"}, {"/credentials", "credentials"},
        {"/credentials/acme/fake", "credential-detail"}, {"/agents", "agents"},
        {"/usage", "usage"}, {"/routing", "routing"}};
    for (String[] page : pages) {
      browser.open(fixture.consoleUrl(page[0]));
      assertFalse(browser.find("h1").getText().isEmpty(), page[0]);
      browser.screenshot("page-" + page[1]);
      assertNoScriptRanAndNothingWasBlocked(browser.driver().getTitle()
          .replace(" · Keyward console", ""));
    }
    browser.open(fixture.consoleUrl("/usage"));
    assertEquals(3, browser.findAll("#budgets tbody tr").size(), browser.text());
    assertTrue(browser.findAll("svg.chart rect").size() >= 2);
    assertTrue(browser.find("#top-agents").getText().contains("support-bot"));
  }
}
