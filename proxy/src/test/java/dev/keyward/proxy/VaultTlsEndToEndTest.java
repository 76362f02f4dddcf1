package dev.keyward.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.proxy.audit.AuditWitness;
import dev.keyward.proxy.cli.ExitCodes;
import dev.keyward.proxy.config.ConfigException;
import dev.keyward.proxy.storage.Storage;
import dev.keyward.proxy.testing.Agent;
import dev.keyward.proxy.testing.Cli;
import dev.keyward.proxy.testing.RecordingUpstream;
import dev.keyward.proxy.testing.TestInstallation;
import dev.keyward.vault.Injection;
import dev.keyward.vault.TestCa;
import dev.keyward.vault.TestJwt;
import dev.keyward.vault.VaultDouble;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keyward as a replica runs in the Kubernetes deployment: Vault over HTTPS, certified by a private
 * CA (vault.ca_cert) with the host name verified; login with the pod's projected token through
 * JWT auth; the policies of k8s/vault, so the replica writes its own audit paths and no other.
 */
class VaultTlsEndToEndTest {

  static final String POD = "keyward-6d9f7c-x2k4q";
  static final String KEY = "sk-vault-tls-e2e-0123456789abcdef";
  static final TestJwt CLUSTER = TestJwt.issuer();

  @TempDir
  Path dir;

  VaultDouble vault;
  Vertx vertx;
  RecordingUpstream upstream;

  @AfterEach
  void stop() {
    if (vertx != null) {
      vertx.close();
    }
    vault.close();
  }

  TestInstallation replica(VaultDouble tlsVault, TestCa ca) throws Exception {
    tlsVault.keywardPolicies(Path.of("..", "k8s", "vault"))
        .serviceAccountRole("jwt", VaultDouble.LoginKind.JWT, "keyward", CLUSTER, "vault",
            "keyward", "keyward", "/kubernetes.io/pod/name",
            List.of("keyward-proxy", "keyward-operator"));
    Files.writeString(dir.resolve("pod-token"), CLUSTER.projected("keyward", "keyward", POD,
        "vault", Instant.now(), Instant.now().plusSeconds(3600)));
    vertx = Vertx.vertx();
    upstream = RecordingUpstream.http(vertx);
    return new TestInstallation(dir).vault(tlsVault)
        .vaultCa(ca.writePem(dir.resolve("vault-ca.pem")))
        .vaultAuth(String.join("\n", "    method: kubernetes", "    mount: jwt",
            "    role: keyward", "    jwt_file: pod-token"))
        .config(String.join("\n", "audit:", "  file: " + TestInstallation.AUDIT_FILE,
            "  instance: " + POD, "  checkpoint_interval: 1s", ""))
        .policy("""
            credentials:
              - id: local
                allowed_domains: ["127.0.0.1"]
                allowed_ports: [%d]
                allow_insecure_http: true
                allow_addresses: ["127.0.0.1/32"]
            routes:
              - name: local
                upstream: http://127.0.0.1:%d/v1
                credential: local
            grants:
              - tenants: [acme]
                credentials: [local]
            """.formatted(upstream.port(), upstream.port()));
  }

  @Test
  void aReplicaServesFromVaultOverVerifiedTlsUnderItsOwnPolicies() throws Exception {
    TestCa ca = TestCa.create("vault-private-ca");
    vault = VaultDouble.startTls(ca, "localhost");
    TestInstallation installation = replica(vault, ca);
    installation.putCredential("acme", "local", KEY, List.of("127.0.0.1"), Injection.bearer());
    try (Keyward keyward = installation.start()) {
      String token = installation.token("agent-1", "acme").token();
      assertEquals(200, new Agent(keyward.port()).post("/r/local/chat", token, "{}")
          .statusCode());
      assertEquals("Bearer " + KEY, upstream.only().headers().get("Authorization"));
    }
    try (Storage storage = Storage.open(installation.configuration().storage(),
        Clock.systemUTC())) {
      assertTrue(AuditWitness.load(storage.kv(), POD).isPresent(), "the replica's own witness");
    }
    Cli.Result verified = Cli.run("audit", "verify", "--config",
        dir.resolve("keyward.yaml").toString());
    assertEquals(ExitCodes.OK, verified.exit(), verified.toString());
    assertEquals(0, vault.calls("acl.denied"), "the shipped policies refused a replica's call");
  }

  @Test
  void keywardRefusesAVaultWhoseCertificateNamesAnotherHost() throws Exception {
    TestCa ca = TestCa.create("vault-private-ca");
    vault = VaultDouble.startTls(ca, "vault.elsewhere.example");
    TestInstallation installation = replica(vault, ca);
    ConfigException e = assertThrows(ConfigException.class, installation::start);
    assertTrue(e.getMessage().contains("no HTTP response"), e.getMessage());
    assertEquals(0, vault.calls("login.jwt"), "the pod's token went to an unverified server");
  }
}
