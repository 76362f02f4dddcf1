package dev.keyward.proxy.console;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.testing.AuditCapture;
import dev.keyward.proxy.testing.Secrets;
import dev.keyward.proxy.testing.TestInstallation;
import dev.keyward.proxy.testing.TestTls;
import dev.keyward.token.IssuedOperatorToken;
import dev.keyward.token.Role;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console over HTTP, without a browser: its headers, the session cookie, the same-origin and
 * CSRF checks, roles, what changes reach the audit trail, exports, and that a key typed into it
 * goes nowhere but the store.
 */
class ConsoleHttpTest {

  static final String NEW_KEY = "sk-console-http-new-0123456789abcdef";

  @TempDir
  Path dir;

  ConsoleFixture fixture;

  ConsoleFixture start() throws Exception {
    fixture = new ConsoleFixture(dir);
    return fixture;
  }

  @AfterEach
  void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  ConsoleClient signedIn(String token) throws Exception {
    ConsoleClient client = new ConsoleClient(fixture.origin());
    assertEquals(303, client.signIn(token).statusCode());
    return client;
  }

  JsonObject adminRecord(String action, String outcome) {
    return new AuditCapture(dir).first(r -> action.equals(r.getString("action"))
        && outcome.equals(r.getString("outcome")));
  }

  @Test
  void everyConsoleResponseForbidsScriptsFramingAndCaching() throws Exception {
    start();
    ConsoleClient client = signedIn(fixture.operatorToken);
    for (String path : List.of("/console/sign-in", "/console/audit", "/console/usage",
        "/console/no-such-page", "/console/credentials/new")) {
      HttpResponse<String> response = client.get(path);
      String csp = response.headers().firstValue("content-security-policy").orElseThrow();
      assertTrue(csp.contains("default-src 'none'") && !csp.contains("script-src"), csp);
      assertTrue(csp.contains("frame-ancestors 'none'"), csp);
      assertEquals("no-store", response.headers().firstValue("cache-control").orElseThrow());
      assertEquals("nosniff", response.headers().firstValue("x-content-type-options")
          .orElseThrow());
      assertFalse(response.body().contains("<script"), path);
    }
    assertEquals(404, client.get("/console/no-such-page").statusCode());
  }

  @Test
  void aPageWithoutASessionSendsTheBrowserToSignIn() throws Exception {
    start();
    HttpResponse<String> response = new ConsoleClient(fixture.origin()).get("/console/audit");
    assertEquals(303, response.statusCode());
    assertEquals("/console/sign-in", response.headers().firstValue("location").orElseThrow());
  }

  @Test
  void signingInSetsAnHttpOnlyStrictCookieThatEndsWithTheToken() throws Exception {
    start();
    HttpResponse<String> signedIn = new ConsoleClient(fixture.origin())
        .signIn(fixture.operatorToken);
    assertEquals(303, signedIn.statusCode());
    assertEquals("/console/audit", signedIn.headers().firstValue("location").orElseThrow());
    String cookie = ConsoleClient.setCookie(signedIn.headers(), ConsoleRoutes.SESSION_COOKIE);
    assertTrue(cookie.contains("HTTPOnly") || cookie.contains("HttpOnly"), cookie);
    assertTrue(cookie.contains("SameSite=Strict"), cookie);
    assertTrue(cookie.contains("Path=/console"), cookie);
    assertFalse(cookie.contains("Secure"), "plain HTTP: " + cookie);
    long maxAge = Long.parseLong(cookie.replaceAll(".*Max-Age=(\\d+).*", "$1"));
    assertTrue(maxAge > 3500 && maxAge <= 3600, "the token lives an hour: " + cookie);
    assertFalse(cookie.contains(fixture.operatorToken), "the cookie holds no token");
    JsonObject record = adminRecord("console.sign_in", "ok");
    assertEquals(ConsoleFixture.OPERATOR, record.getString("operator"));
  }

  @Test
  void overTlsTheSessionCookieIsSecure() throws Exception {
    TestTls tls = TestTls.selfSigned(dir, "127.0.0.1");
    fixture = new ConsoleFixture(dir, "admin:\n  port: 0\n  tls_cert: " + tls.certificate()
        + "\n  tls_key: " + tls.privateKey() + "\n");
    ConsoleClient client = new ConsoleClient(fixture.origin(), trusting(tls));
    HttpResponse<String> signedIn = client.signIn(fixture.operatorToken);
    assertEquals(303, signedIn.statusCode(), signedIn.body());
    assertTrue(ConsoleClient.setCookie(signedIn.headers(), ConsoleRoutes.SESSION_COOKIE)
        .contains("Secure"));
    assertEquals(200, client.get("/console/audit").statusCode());
  }

  @Test
  void aWrongTokenIsRefusedAndTheRefusalAudited() throws Exception {
    start();
    HttpResponse<String> refused = new ConsoleClient(fixture.origin()).signIn("not-a-token");
    assertEquals(401, refused.statusCode());
    assertTrue(refused.body().contains("malformed_token"), refused.body());
    assertEquals("", adminRecord("console.sign_in", "denied").getString("operator"));
  }

  @Test
  void aPlatformTokenCannotSignIn() throws Exception {
    start();
    HttpResponse<String> refused = new ConsoleClient(fixture.origin())
        .signIn(fixture.installation.token("support-bot", "acme").token());
    assertEquals(401, refused.statusCode());
    assertTrue(refused.body().contains("wrong_token_type"), refused.body());
  }

  @Test
  void aSignInFromAnotherOriginOrWithoutTheFormsNonceIsRefused() throws Exception {
    start();
    ConsoleClient client = new ConsoleClient(fixture.origin());
    Map<String, String> form = ConsoleClient.hidden(client.get("/console/sign-in").body());
    HttpResponse<String> elsewhere = client.post("/console/sign-in",
        Map.of("nonce", form.get("nonce"), "token", fixture.operatorToken),
        "http://127.0.0.1:1");
    assertEquals(403, elsewhere.statusCode());
    client.get("/console/sign-in");
    HttpResponse<String> noNonce = client.post("/console/sign-in",
        Map.of("token", fixture.operatorToken));
    assertEquals(403, noNonce.statusCode());
    assertEquals(303, client.get("/console/audit").statusCode(), "not signed in");
  }

  @Test
  void aChangeWithoutTheSessionsCsrfTokenIsRefusedAuditedAndNotMade() throws Exception {
    start();
    ConsoleClient client = signedIn(fixture.operatorToken);
    HttpResponse<String> refused = client.post("/console/credentials/acme/fake/disable",
        Map.of("csrf", "forged"));
    assertEquals(403, refused.statusCode());
    JsonObject record = adminRecord("credential.disable", "denied");
    assertEquals(ConsoleRoutes.CSRF_REFUSED, record.getString("code"));
    assertEquals(ConsoleFixture.OPERATOR, record.getString("operator"));
    assertFalse(client.get("/console/credentials/acme/fake").body().contains(">disabled<"));
  }

  @Test
  void aChangeFromAnotherOriginIsRefusedEvenWithTheToken() throws Exception {
    start();
    ConsoleClient client = signedIn(fixture.operatorToken);
    String csrf = client.csrf();
    assertEquals(403, client.post("/console/credentials/acme/fake/disable",
        Map.of("csrf", csrf), "http://127.0.0.1:9").statusCode());
    assertEquals(403, client.post("/console/credentials/acme/fake/disable",
        Map.of("csrf", csrf), null).statusCode(), "no Origin and no Referer");
    assertEquals(303, client.post("/console/credentials/acme/fake/disable",
        Map.of("csrf", csrf)).statusCode(), "the same form from the console's origin");
    assertEquals("ok", adminRecord("credential.disable", "ok").getString("outcome"));
  }

  @Test
  void anAuditorSeesNoChangeFormAndIsRefusedAChange() throws Exception {
    start();
    ConsoleClient auditor = signedIn(fixture.auditorToken);
    assertFalse(auditor.get("/console/credentials/acme/fake").body().contains("Rotate"));
    assertEquals(403, auditor.get("/console/credentials/acme/fake/rotate").statusCode());
    HttpResponse<String> refused = auditor.post("/console/credentials/acme/fake/disable",
        Map.of("csrf", auditor.csrf()));
    assertEquals(403, refused.statusCode());
    JsonObject record = adminRecord("credential.disable", "denied");
    assertEquals(ConsoleFixture.AUDITOR, record.getString("operator"));
    assertEquals("role_not_allowed", record.getString("code"));
  }

  @Test
  void aRevokedOperatorTokenEndsItsSession() throws Exception {
    start();
    IssuedOperatorToken token = fixture.installation.operatorToken("mallory", Role.OPERATOR);
    ConsoleClient mallory = signedIn(token.token());
    assertEquals(200, mallory.get("/console/audit").statusCode());
    ConsoleClient olivia = signedIn(fixture.operatorToken);
    assertEquals(303, olivia.post("/console/tokens/revoke",
        Map.of("csrf", olivia.csrf(), "jti", token.claims().jti())).statusCode());
    await().atMost(Duration.ofSeconds(10)).until(() ->
        mallory.get("/console/audit").statusCode() == 303);
  }

  @Test
  void signingOutEndsTheSession() throws Exception {
    start();
    ConsoleClient client = signedIn(fixture.operatorToken);
    String session = client.cookie(ConsoleRoutes.SESSION_COOKIE);
    assertEquals(303, client.post("/console/sign-out", Map.of("csrf", client.csrf()))
        .statusCode());
    assertNotNull(session);
    assertEquals(303, client.get("/console/audit").statusCode());
    ConsoleClient replay = new ConsoleClient(fixture.origin());
    replay.cookie(ConsoleRoutes.SESSION_COOKIE, session);
    assertEquals(303, replay.get("/console/audit").statusCode(), "the old cookie is dead");
    assertEquals("ok", adminRecord("console.sign_out", "ok").getString("outcome"));
  }

  @Test
  void aKeyAddedAndRotatedInTheConsoleAppearsInNoPageAndNoAuditRecord() throws Exception {
    start();
    Secrets.register(NEW_KEY);
    ConsoleClient client = signedIn(fixture.operatorToken);
    HttpResponse<String> added = client.post("/console/credentials", Map.of(
        "csrf", client.csrf(), "tenant", "acme", "id", "fresh", "format", "bearer",
        "allowed_domains", "127.0.0.1", "secret", NEW_KEY));
    assertEquals(303, added.statusCode(), added.body());
    assertEquals("/console/credentials/acme/fresh",
        added.headers().firstValue("location").orElseThrow());
    HttpResponse<String> rotated = client.post("/console/credentials/acme/fresh/rotate",
        Map.of("csrf", client.csrf(), "secret", NEW_KEY + "-2"));
    assertEquals(303, rotated.statusCode(), rotated.body());
    StringBuilder pages = new StringBuilder();
    for (String path : List.of("/console/credentials", "/console/credentials/acme/fresh",
        "/console/audit", "/console/audit/export.jsonl", "/console/audit/export.csv")) {
      HttpResponse<String> page = client.get(path);
      assertEquals(200, page.statusCode(), path);
      pages.append(page.body());
    }
    assertTrue(pages.toString().contains("v2"));
    assertEquals("credential:acme/fresh",
        adminRecord("credential.rotate", "ok").getString("resource"));
    String audit = new AuditCapture(dir).rawText();
    assertEquals(List.of(), Secrets.foundIn(pages.toString()));
    assertFalse(audit.contains(NEW_KEY), "the audit log holds the key");
    assertFalse(pages.toString().contains(NEW_KEY), "a page holds the key");
  }

  @Test
  void aRollBackInTheConsoleMakesTheOldKeyCurrentAsANewVersion() throws Exception {
    start();
    Secrets.register(NEW_KEY);
    ConsoleClient client = signedIn(fixture.operatorToken);
    assertEquals(303, client.post("/console/credentials/acme/fake/rotate",
        Map.of("csrf", client.csrf(), "secret", NEW_KEY)).statusCode());
    HttpResponse<String> confirm = client.get("/console/credentials/acme/fake/rollback?to=1");
    assertEquals(200, confirm.statusCode());
    assertEquals("1", ConsoleClient.hidden(confirm.body()).get("to"));
    assertEquals(303, client.post("/console/credentials/acme/fake/rollback",
        Map.of("csrf", client.csrf(), "to", "1")).statusCode());
    String page = client.get("/console/credentials/acme/fake").body();
    assertTrue(page.contains("id=\"current-version\">v3<"), page);
    assertTrue(page.contains("rollback to version 1"), page);
    assertEquals(200, fixture.chat("support-bot", "gpt-5-mini", null, "hi").statusCode(),
        "the fake provider takes only the first key: the call used it again");
    assertEquals("credential:acme/fake",
        adminRecord("credential.rollback", "ok").getString("resource"));
  }

  @Test
  void anAgentDisabledInTheConsoleIsRefusedUntilEnabled() throws Exception {
    start();
    ConsoleClient client = signedIn(fixture.operatorToken);
    assertEquals(200, fixture.chat("support-bot", "gpt-5-mini", null, "hi").statusCode());
    assertEquals(303, client.post("/console/agents/support-bot/disable",
        Map.of("csrf", client.csrf())).statusCode());
    HttpResponse<String> refused = fixture.chat("support-bot", "gpt-5-mini", null, "hi");
    assertEquals(401, refused.statusCode());
    assertTrue(refused.body().contains("agent_disabled"), refused.body());
    assertTrue(client.get("/console/agents").body().contains("/console/agents/support-bot/enable"));
    assertEquals(303, client.post("/console/agents/support-bot/enable",
        Map.of("csrf", client.csrf())).statusCode());
    assertEquals(200, fixture.chat("support-bot", "gpt-5-mini", null, "hi").statusCode());
    assertEquals(ConsoleFixture.OPERATOR,
        adminRecord("agent.disable", "ok").getString("operator"));
  }

  @Test
  void aFormWithoutAKeyIsRefusedWithAClearMessage() throws Exception {
    start();
    ConsoleClient client = signedIn(fixture.operatorToken);
    HttpResponse<String> refused = client.post("/console/credentials", Map.of(
        "csrf", client.csrf(), "id", "fresh", "allowed_domains", "127.0.0.1"));
    assertEquals(400, refused.statusCode());
    assertTrue(refused.body().contains("enter the key"), refused.body());
    assertEquals("invalid_request", adminRecord("credential.create", "failed").getString("code"));
  }

  @Test
  void aFormLargerThanTheLimitIsRefused() throws Exception {
    start();
    ConsoleClient client = signedIn(fixture.operatorToken);
    HttpResponse<String> refused = client.post("/console/credentials", Map.of(
        "csrf", client.csrf(), "models", "m".repeat(ConsoleRoutes.MAX_FORM_BYTES)));
    assertEquals(413, refused.statusCode());
  }

  @Test
  void exportsHoldTheFilteredEntriesAsJsonLinesAndCsv() throws Exception {
    start();
    fixture.traffic();
    ConsoleClient client = signedIn(fixture.auditorToken);
    new AuditCapture(dir).first(r -> "nightly-eval".equals(r.getString("agent")));
    HttpResponse<String> jsonl = client.get("/console/audit/export.jsonl?agent=support-bot");
    assertEquals(200, jsonl.statusCode());
    assertTrue(jsonl.headers().firstValue("content-disposition").orElseThrow()
        .startsWith("attachment"));
    List<String> lines = jsonl.body().lines().toList();
    assertEquals(2, lines.size(), jsonl.body());
    for (String line : lines) {
      assertEquals("support-bot", new JsonObject(line).getString("agent"));
    }
    HttpResponse<String> csv = client.get("/console/audit/export.csv?agent=support-bot");
    List<String> rows = csv.body().lines().toList();
    assertEquals(3, rows.size(), csv.body());
    assertTrue(rows.get(0).startsWith("seq,time,type,"));
    assertEquals("audit.export", adminRecord("audit.export", "ok").getString("action"));
  }

  @Test
  void theVerifyPanelIsGreenForAnIntactLogAndRedOnceALineIsEdited() throws Exception {
    start();
    fixture.traffic();
    ConsoleClient client = signedIn(fixture.auditorToken);
    Path log = dir.resolve(TestInstallation.AUDIT_FILE);
    await().atMost(Duration.ofSeconds(10)).until(() ->
        Files.readString(log).contains("nightly-eval"));
    // Green once the store has witnessed the log (within audit.witness_interval).
    await().atMost(Duration.ofSeconds(15)).until(() -> {
      String green = client.get("/console/audit/verify").body();
      return green.contains("class=\"verdict ok\"") && green.contains("INTACT");
    });
    String text = Files.readString(log, StandardCharsets.UTF_8);
    Files.writeString(log, text.replaceFirst("\"agent\":\"nightly-eval\"",
        "\"agent\":\"nightly-evil\""), StandardCharsets.UTF_8);
    String red = client.get("/console/audit/verify").body();
    assertTrue(red.contains("class=\"verdict bad\"") && red.contains("TAMPERED"), red);
    assertTrue(red.contains("hash chain broken"), red);
  }

  static SSLContext trusting(TestTls tls) throws Exception {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    try (InputStream in = Files.newInputStream(tls.certificate())) {
      store.setCertificateEntry("console", CertificateFactory.getInstance("X.509")
          .generateCertificate(in));
    }
    TrustManagerFactory trust =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(store);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, trust.getTrustManagers(), null);
    return context;
  }
}
