package dev.keyward.proxy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.testing.AuditCapture;
import dev.keyward.proxy.testing.Cli;
import dev.keyward.proxy.testing.ProxyHarness;
import dev.keyward.token.Role;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI driving a running Keyward through its admin API, as an operator's script would. */
class OperatorCliTest {

  static final String SECRET = "sk-operator-cli-0123456789abcdef";

  @TempDir
  Path dir;

  ProxyHarness proxy;
  String adminUrl;
  String operatorToken;
  String auditorToken;

  @BeforeEach
  void start() throws Exception {
    proxy = ProxyHarness.start(dir, ProxyHarness.options());
    adminUrl = "http://127.0.0.1:" + proxy.keyward().adminPort();
    operatorToken = tokenFile("olivia", Role.OPERATOR);
    auditorToken = tokenFile("arthur", Role.AUDITOR);
  }

  @AfterEach
  void stop() throws Exception {
    proxy.close();
  }

  String tokenFile(String name, Role role) throws Exception {
    Path file = dir.resolve(name + ".token");
    Files.writeString(file, proxy.installation().operatorToken(name, role).token() + "\n");
    return file.toString();
  }

  Cli.Result admin(String tokenFile, String stdin, String... args) {
    String[] all = new String[args.length + 4];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--admin-url";
    all[args.length + 1] = adminUrl;
    all[args.length + 2] = "--operator-token-file";
    all[args.length + 3] = tokenFile;
    return Cli.withStdin(stdin, all);
  }

  /** A jti is base64url: one in 64 issued before this fix starts with '-'. */
  @Test
  void aJtiThatStartsWithADashIsRevokedAsWrittenInTheDocs() throws Exception {
    String jti = "-Wk3xYqR0oZpV2bL8nT4aQ";
    Cli.Result revoked = admin(operatorToken, "", "token", "revoke", jti);
    assertEquals(ExitCodes.OK, revoked.exit(), revoked.toString());
    assertTrue(proxy.installation().revocations().load().value().isTokenRevoked(jti));
  }

  @Test
  void newTokenIdsNeverStartWithADash() throws Exception {
    for (int i = 0; i < 500; i++) {
      assertFalse(proxy.installation().token("agent-1", "acme").claims().jti().startsWith("-"));
    }
  }

  @Test
  void aCredentialStoredThroughTheAdminApiIsRecordedUnderTheOperatorsName() throws Exception {
    Cli.Result put = admin(operatorToken, SECRET, "credential", "put", "openai", "--tenant",
        "acme", "--allowed-domain", "api.openai.com", "--secret-stdin", "--actor", "someone-else");
    assertEquals(ExitCodes.OK, put.exit(), put.toString());
    Cli.Result history = admin(auditorToken, "", "credential", "history", "openai", "--tenant",
        "acme", "--json");
    assertEquals(ExitCodes.OK, history.exit(), history.toString());
    assertEquals("olivia", new JsonArray(history.out()).getJsonObject(0).getString("created_by"));
    assertFalse(put.out().contains(SECRET) || put.err().contains(SECRET));
  }

  @Test
  void aChangeWithAnAuditorTokenExitsWithDenied() {
    Cli.Result result = admin(auditorToken, "", "agent", "disable", "agent-1");
    assertEquals(ExitCodes.DENIED, result.exit(), result.toString());
    assertTrue(result.err().contains("role_not_allowed"), result.err());
  }

  @Test
  void withoutAnOperatorTokenTheCliSaysHowToGetOne() {
    Cli.Result result = Cli.run("agent", "list", "--admin-url", adminUrl);
    assertEquals(ExitCodes.DENIED, result.exit(), result.toString());
    assertTrue(result.err().contains("keyward operator token"), result.err());
  }

  @Test
  void anUnreachableAdminApiExitsWithUnavailable() {
    Cli.Result result = Cli.withStdin("", "agent", "list", "--admin-url", "http://127.0.0.1:1",
        "--operator-token-file", operatorToken);
    assertEquals(ExitCodes.UNAVAILABLE, result.exit(), result.toString());
  }

  @Test
  void anOperatorTokenMintedOnTheStoreIsAcceptedByTheAdminApi() throws Exception {
    Cli.Result minted = Cli.run("operator", "token", "--config",
        dir.resolve("keyward.yaml").toString(), "--name", "ci-bot", "--role", "auditor");
    assertEquals(ExitCodes.OK, minted.exit(), minted.toString());
    Path file = dir.resolve("ci-bot.token");
    Files.writeString(file, minted.out());
    Cli.Result agents = admin(file.toString(), "", "agent", "list", "--json");
    assertEquals(ExitCodes.OK, agents.exit(), agents.toString());
    JsonObject record =
        new AuditCapture(dir).first(r -> "agent.list".equals(r.getString("action")));
    assertEquals("ci-bot", record.getString("operator"));
  }

  @Test
  void theAuditReportSaysWhichAgentsUsedEachCredentialAndWhichVersions() throws Exception {
    String token = proxy.token();
    assertEquals(200, proxy.agent().post("/r/local/chat", token, "{}").statusCode());
    assertEquals(200, proxy.agent().post("/r/local/chat", token, "{}").statusCode());
    new AuditCapture(dir).forRequest(
        proxy.agent().post("/r/local/chat", token, "{}").headers().firstValue("x-request-id")
            .orElseThrow());
    Cli.Result report = admin(auditorToken, "", "audit", "report", "--since", "1h", "--json");
    assertEquals(ExitCodes.OK, report.exit(), report.toString());
    JsonObject local = new JsonArray(report.out()).stream().map(JsonObject.class::cast)
        .filter(line -> "local".equals(line.getString("credential"))).findFirst().orElseThrow();
    assertEquals(3, local.getLong("requests"));
    assertEquals(0, local.getLong("denied"));
    assertEquals(new JsonArray().add(1), local.getJsonArray("versions"));
    assertEquals("agent-1", local.getJsonArray("agents").getJsonObject(0).getString("agent"));
  }

  @Test
  void anInvalidPolicyReloadPrintsTheProblemsAndExitsInvalid() throws Exception {
    Path policy = dir.resolve("policy.yaml");
    Files.writeString(policy, Files.readString(policy) + "\nroutes_typo: []\n");
    Cli.Result result = admin(operatorToken, "", "policy", "reload");
    assertEquals(ExitCodes.INVALID, result.exit(), result.toString());
    assertTrue(result.out().contains("routes_typo"), result.out());
  }

  @Test
  void aPolicyReloadNeedsTheRunningServer() {
    Cli.Result result = Cli.run("policy", "reload", "--config",
        dir.resolve("keyward.yaml").toString());
    assertEquals(ExitCodes.CONFLICT, result.exit(), result.toString());
    assertTrue(result.err().contains("--admin-url"), result.err());
  }
}
