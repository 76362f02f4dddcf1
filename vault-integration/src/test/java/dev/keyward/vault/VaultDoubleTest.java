package dev.keyward.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The double answers as Vault does where Keyward depends on it, checked on the wire: each test
 * names the OpenBao handler whose behaviour it reproduces.
 */
class VaultDoubleTest {

  static final ObjectMapper JSON = new ObjectMapper();
  final HttpClient http = HttpClient.newHttpClient();
  final TestClock clock = TestClock.atNow();
  VaultDouble vault;

  @BeforeEach
  void start() throws Exception {
    vault = VaultDouble.start().createTransitKey("keyward-kek").clock(clock);
  }

  @AfterEach
  void stop() {
    vault.close();
  }

  record Answer(int status, JsonNode body) {}

  Answer call(String method, String path, String token, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(vault.address() + "/v1/" + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      request.header("X-Vault-Token", token);
    }
    HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(response.statusCode(), response.body().isEmpty() ? JSON.createObjectNode()
        : JSON.readTree(response.body()));
  }

  Answer root(String method, String path, String body) throws Exception {
    return call(method, path, VaultDouble.ROOT_TOKEN, body);
  }

  String login(String policy) throws Exception {
    vault.appRole("r-" + policy, "role-" + policy, "secret", List.of(policy));
    return call("POST", "auth/approle/login", null,
        "{\"role_id\":\"role-" + policy + "\",\"secret_id\":\"secret\"}").body()
        .path("auth").path("client_token").asText();
  }

  @Test
  void kvCheckAndSetMismatchCreatesNothing() throws Exception { // path_data.go
    Answer write = root("POST", "secret/data/x", "{\"options\":{\"cas\":3},\"data\":{\"k\":\"v\"}}");
    assertEquals(400, write.status());
    assertTrue(write.body().path("errors").toString().contains("check-and-set"));
    assertEquals(404, root("GET", "secret/metadata/x", null).status());
  }

  @Test
  void kvCustomMetadataBeyondVaultsLimitsIsRefused() throws Exception { // path_metadata.go
    StringBuilder many = new StringBuilder("{\"custom_metadata\":{");
    for (int i = 0; i < 65; i++) {
      many.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"v\"");
    }
    Answer tooMany = root("POST", "secret/metadata/x", many + "}}");
    assertEquals(400, tooMany.status());
    assertTrue(tooMany.body().toString().contains("at most 64 keys"), tooMany.body().toString());
    Answer tooLong = root("POST", "secret/metadata/x",
        "{\"custom_metadata\":{\"k\":\"" + "v".repeat(513) + "\"}}");
    assertEquals(400, tooLong.status());
    Answer empty = root("POST", "secret/metadata/x", "{\"custom_metadata\":{\"k\":\"\"}}");
    assertEquals(400, empty.status(), "Vault refuses an empty value");
  }

  @Test
  void kvASoftDeletedVersionIs404WithItsMetadata() throws Exception { // pathDataRead
    vault.kvDeleteVersionAfter("secret", Duration.ofMinutes(10));
    root("POST", "secret/data/x", "{\"data\":{\"k\":\"v\"}}");
    Answer live = root("GET", "secret/data/x", null);
    assertEquals(200, live.status());
    assertTrue(!live.body().path("data").path("metadata").path("deletion_time").asText().isEmpty());
    clock.advance(Duration.ofMinutes(11));
    Answer gone = root("GET", "secret/data/x", null);
    assertEquals(404, gone.status());
    assertTrue(gone.body().path("data").path("data").isNull());
    assertEquals(1, gone.body().path("data").path("metadata").path("version").asInt());
  }

  @Test
  void kvKeepsTheNewestMaxVersions() throws Exception {
    for (int i = 0; i < VaultDouble.MAX_VERSIONS + 2; i++) {
      root("POST", "secret/data/x", "{\"data\":{\"k\":\"" + i + "\"}}");
    }
    JsonNode metadata = root("GET", "secret/metadata/x", null).body().path("data");
    assertEquals(3, metadata.path("oldest_version").asInt());
    assertEquals(404, root("GET", "secret/data/x?version=1", null).status());
  }

  @Test
  void writingAnExistingPathNeedsUpdateAndANewOneCreate() throws Exception { // ExistenceCheck
    vault.policy("create-only", "path \"secret/data/*\" { capabilities = [\"create\"] }");
    String token = login("create-only");
    assertEquals(200, call("POST", "secret/data/x", token, "{\"data\":{\"k\":\"v\"}}").status());
    Answer again = call("POST", "secret/data/x", token, "{\"data\":{\"k\":\"w\"}}");
    assertEquals(403, again.status());
    assertTrue(again.body().toString().contains("permission denied"));
  }

  @Test
  void theMostSpecificRuleDecidesAndDenyWins() throws Exception { // acl.go
    vault.policy("p1", """
        path "secret/data/*" { capabilities = ["create", "read", "update"] }
        path "secret/data/audit/*" { capabilities = ["deny"] }
        path "secret/data/audit/+/witness" { capabilities = ["read"] }
        """);
    vault.policy("p2", "path \"secret/data/audit/*\" { capabilities = [\"read\"] }");
    root("POST", "secret/data/audit/a/witness", "{\"data\":{\"k\":\"v\"}}");
    root("POST", "secret/data/audit/a/key", "{\"data\":{\"k\":\"v\"}}");
    vault.appRole("both", "both", "secret", List.of("p1", "p2"));
    String token = call("POST", "auth/approle/login", null,
        "{\"role_id\":\"both\",\"secret_id\":\"secret\"}").body().path("auth")
        .path("client_token").asText();
    assertEquals(403, call("GET", "secret/data/audit/a/key", token, null).status(),
        "deny merged with read on the same path stays deny");
    assertEquals(200, call("GET", "secret/data/audit/a/witness", token, null).status(),
        "a later wildcard is more specific than an earlier glob");
    assertEquals(403, call("POST", "secret/data/audit/a/witness", token,
        "{\"data\":{\"k\":\"w\"}}").status());
    assertEquals(200, call("POST", "secret/data/other", token, "{\"data\":{\"k\":\"v\"}}")
        .status());
  }

  @Test
  void renewalIsCappedAtTheMaxTtlWithVaultsWarning() throws Exception { // lease.go
    vault.loginTtl(Duration.ofMinutes(10)).loginMaxTtl(Duration.ofMinutes(15));
    String token = login(VaultDouble.EVERYTHING);
    clock.advance(Duration.ofMinutes(8));
    Answer renewed = call("POST", "auth/token/renew-self", token, "{}");
    assertEquals(200, renewed.status());
    assertTrue(renewed.body().path("auth").path("lease_duration").asLong() <= 7 * 60);
    assertTrue(renewed.body().path("warnings").toString().contains("exceeded the effective max_ttl"),
        renewed.body().toString());
    JsonNode self = call("GET", "auth/token/lookup-self", token, null).body().path("data");
    assertTrue(!self.path("expire_time").asText().isEmpty() && !self.path("issue_time").asText()
        .isEmpty(), self.toString());
    clock.advance(Duration.ofMinutes(8));
    assertEquals(403, call("GET", "auth/token/lookup-self", token, null).status(),
        "a token past its max TTL is gone");
  }

  @Test
  void transitEncryptWithAnUnknownKeyIsAnUpsertThatNeedsCreate() throws Exception { // path_encrypt
    vault.policy("update-only", "path \"transit/encrypt/*\" { capabilities = [\"update\"] }");
    String token = login("update-only");
    assertEquals(403, call("POST", "transit/encrypt/new-key", token,
        "{\"plaintext\":\"AA==\"}").status());
    assertEquals(200, call("POST", "transit/encrypt/keyward-kek", token,
        "{\"plaintext\":\"AA==\"}").status());
    assertEquals(200, root("POST", "transit/encrypt/new-key", "{\"plaintext\":\"AA==\"}").status());
  }

  @Test
  void transitRotateAnswersWithTheKeyAndMinDecryptionVersionIsEnforced() throws Exception {
    String old = root("POST", "transit/encrypt/keyward-kek", "{\"plaintext\":\"AA==\"}").body()
        .path("data").path("ciphertext").asText();
    Answer rotated = root("POST", "transit/keys/keyward-kek/rotate", "{}");
    assertEquals(200, rotated.status());
    assertEquals(2, rotated.body().path("data").path("latest_version").asInt());
    assertEquals(200, root("POST", "transit/keys/keyward-kek/config",
        "{\"min_decryption_version\":2}").status());
    Answer refused = root("POST", "transit/decrypt/keyward-kek", "{\"ciphertext\":\"" + old + "\"}");
    assertEquals(400, refused.status());
    assertTrue(refused.body().toString().contains("disallowed by policy (too old)"));
  }
}
