package dev.keyward.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.vault.KvException;
import dev.keyward.vault.KvStore;
import dev.keyward.vault.TestJwt;
import dev.keyward.vault.VaultDouble;
import dev.keyward.vault.VaultKvStore;
import dev.keyward.vault.VaultSession;
import dev.keyward.vault.VaultSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The policies in vault/ run by the Vault double exactly as setup.sh installs them (the JWT
 * mount's accessor put in, the JWT role naming each pod): what a replica, an operator and the KEK
 * rotation can and cannot do to the audit paths and the credentials.
 */
class VaultPoliciesTest {

  static final Path VAULT_DIR = Path.of("vault");
  static final TestJwt CLUSTER = TestJwt.issuer();
  static final Map<String, String> WITNESS = Map.of("seq", "1", "prev", "00", "time", "t");

  @TempDir
  Path dir;

  VaultDouble vault;
  ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  List<VaultSession> sessions = new ArrayList<>();

  @BeforeEach
  void installPolicies() throws Exception {
    vault = VaultDouble.start().createTransitKey("keyward-kek");
    Map<String, String> accessor = Map.of("AUTH_JWT_ACCESSOR", vault.accessor("jwt"));
    for (String policy : List.of("keyward-proxy", "keyward-operator", "keyward-kek-rotation")) {
      vault.policyFile(policy, VAULT_DIR.resolve(policy + ".hcl"), accessor);
    }
    // As setup.sh: replicas hold keyward-proxy and keyward-operator.
    vault.serviceAccountRole("jwt", VaultDouble.LoginKind.JWT, "keyward", CLUSTER, "vault",
        "keyward", "keyward", "/kubernetes.io/pod/name",
        List.of("keyward-proxy", "keyward-operator"));
    vault.serviceAccountRole("jwt", VaultDouble.LoginKind.JWT, "keyward-proxy-only", CLUSTER,
        "vault", "keyward", "keyward", "/kubernetes.io/pod/name", List.of("keyward-proxy"));
    vault.appRole("kek-rotation", "kek-rotation-role", "kek-rotation-secret",
        List.of("keyward-operator", "keyward-kek-rotation"));
  }

  @AfterEach
  void stop() {
    sessions.forEach(VaultSession::close);
    scheduler.shutdownNow();
    vault.close();
  }

  /** The store as the replica in pod {@code pod} sees it, logged in with role {@code role}. */
  KvStore replica(String pod, String role) throws Exception {
    Path jwt = dir.resolve(pod + ".jwt");
    Files.writeString(jwt, CLUSTER.projected("keyward", "keyward", pod, "vault", Instant.now(),
        Instant.now().plusSeconds(3600)));
    return store(new VaultSettings.KubernetesAuth("jwt", role, jwt));
  }

  KvStore kekRotation() throws Exception {
    Path secretId = dir.resolve("secret-id");
    Files.writeString(secretId, "kek-rotation-secret");
    return store(new VaultSettings.AppRoleAuth("approle", "kek-rotation-role",
        Optional.of(secretId)));
  }

  KvStore store(VaultSettings.Auth auth) throws Exception {
    VaultSession session = VaultSession.open(new VaultSettings(vault.address(), Optional.empty(),
        Optional.empty(), VaultSettings.DEFAULT_TIMEOUT, auth), scheduler, Clock.systemUTC());
    sessions.add(session);
    return new VaultKvStore(session, "secret", "keyward");
  }

  static void assertDenied(String path, String capability, ThrowingCall call) {
    KvException e = assertThrows(KvException.class, call::run);
    assertTrue(e.getMessage().contains("secret/data/keyward/" + path), e.getMessage());
    assertTrue(e.getMessage().contains(capability), e.getMessage());
    assertTrue(e.getMessage().contains("HTTP 403"), e.getMessage());
  }

  interface ThrowingCall {
    void run() throws Exception;
  }

  @Test
  void aReplicaWritesItsOwnWitnessAndCreatesItsOwnKeysOnce() throws Exception {
    KvStore a = replica("keyward-a", "keyward");
    assertEquals(1, a.write("audit/instances/keyward-a/witness", WITNESS, 0));
    assertEquals(2, a.write("audit/instances/keyward-a/witness", WITNESS, 1));
    assertEquals(1, a.write("audit/instances/keyward-a/signing-key", Map.of("keyset", "k"), 0));
    assertEquals(1, a.write("audit/instances/keyward-a/public-key", Map.of("keyset", "p"), 0));
    assertDenied("audit/instances/keyward-a/signing-key", "update",
        () -> a.write("audit/instances/keyward-a/signing-key", Map.of("keyset", "k2"), 1));
    assertDenied("audit/instances/keyward-a/public-key", "update",
        () -> a.write("audit/instances/keyward-a/public-key", Map.of("keyset", "p2"), 1));
  }

  @Test
  void aReplicaCannotWriteOrReadAnotherInstancesAuditPaths() throws Exception {
    KvStore b = replica("keyward-b", "keyward");
    b.write("audit/instances/keyward-b/witness", WITNESS, 0);
    b.write("audit/instances/keyward-b/signing-key", Map.of("keyset", "k"), 0);
    KvStore a = replica("keyward-a", "keyward");
    assertDenied("audit/instances/keyward-b/witness", "update",
        () -> a.write("audit/instances/keyward-b/witness", WITNESS, 1));
    assertDenied("audit/instances/keyward-b/signing-key", "update",
        () -> a.write("audit/instances/keyward-b/signing-key", Map.of("keyset", "x"), 1));
    assertDenied("audit/instances/keyward-c/signing-key", "create",
        () -> a.write("audit/instances/keyward-c/signing-key", Map.of("keyset", "x"), 0));
    assertDenied("audit/instances/keyward-b/signing-key", "read",
        () -> a.read("audit/instances/keyward-b/signing-key", 0));
    assertDenied("audit/signing-key", "create",
        () -> a.write("audit/signing-key", Map.of("keyset", "x"), 0));
  }

  @Test
  void aProxyTokenAloneCannotWriteACredential() throws Exception {
    KvStore proxy = replica("keyward-a", "keyward-proxy-only");
    assertDenied("credentials/acme/openrouter", "create",
        () -> proxy.write("credentials/acme/openrouter", Map.of("k", "v"), 0));
    assertEquals(Optional.empty(), proxy.read("credentials/acme/openrouter", 0));
  }

  @Test
  void anOperatorReadsEveryWitnessButWritesNone() throws Exception {
    replica("keyward-b", "keyward").write("audit/instances/keyward-b/witness", WITNESS, 0);
    KvStore operator = kekRotation();
    assertEquals("1", operator.read("audit/instances/keyward-b/witness", 0).orElseThrow()
        .data().get("seq"));
    assertDenied("audit/instances/keyward-b/witness", "update",
        () -> operator.write("audit/instances/keyward-b/witness", WITNESS, 1));
  }

  @Test
  void theKekRotationRewrapsAnInstancesSigningKeyButCannotCreateOne() throws Exception {
    replica("keyward-b", "keyward").write("audit/instances/keyward-b/signing-key",
        Map.of("keyset", "k"), 0);
    KvStore rotation = kekRotation();
    assertEquals(List.of("keyward-b/"), rotation.list("audit/instances"));
    assertEquals(2, rotation.write("audit/instances/keyward-b/signing-key",
        Map.of("keyset", "rewrapped"), 1));
    assertDenied("audit/instances/keyward-c/signing-key", "create",
        () -> rotation.write("audit/instances/keyward-c/signing-key", Map.of("keyset", "x"), 0));
  }
}
