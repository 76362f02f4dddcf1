package dev.keyward.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.vault.FileKvStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentRegistryTest {

  @TempDir
  Path dir;

  AgentRegistry agents;

  @BeforeEach
  void setUp() throws Exception {
    agents = new AgentRegistry(new FileKvStore(dir, Clock.systemUTC()));
  }

  AgentCredentials create(String id) throws Exception {
    return agents.create(id, "acme", Set.of("research"), "alice", TokenVerifierTest.T0);
  }

  @Test
  void aCreatedAgentAuthenticatesWithItsSecret() throws Exception {
    AgentCredentials created = create("agent-1");
    Agent agent = agents.authenticate("agent-1", created.secret()).orElseThrow();
    assertEquals("acme", agent.tenant());
    assertEquals(Set.of("research"), agent.groups());
  }

  @Test
  void aWrongSecretDoesNotAuthenticate() throws Exception {
    AgentCredentials created = create("agent-1");
    String wrong = created.secret().substring(0, created.secret().length() - 1) + "x";
    assertTrue(agents.authenticate("agent-1", wrong).isEmpty());
    assertTrue(agents.authenticate("agent-1", "").isEmpty());
  }

  @Test
  void anUnknownAgentDoesNotAuthenticate() throws Exception {
    AgentCredentials created = create("agent-1");
    assertTrue(agents.authenticate("agent-2", created.secret()).isEmpty());
    assertTrue(agents.authenticate("../agent-1", created.secret()).isEmpty());
  }

  @Test
  void theSecretIsNeverStoredOnlyASaltedHash() throws Exception {
    AgentCredentials created = create("agent-1");
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        assertFalse(Files.readString(file).contains(created.secret()), file.toString());
        assertFalse(Files.readString(file).contains(
            created.secret().substring(AgentRegistry.SECRET_PREFIX.length())), file.toString());
      }
    }
  }

  @Test
  void secretsAre256RandomBitsWithAPrefix() throws Exception {
    String a = create("agent-1").secret();
    String b = create("agent-2").secret();
    assertTrue(a.startsWith(AgentRegistry.SECRET_PREFIX));
    assertEquals(AgentRegistry.SECRET_PREFIX.length() + 43, a.length());
    assertFalse(a.equals(b));
  }

  @Test
  void anExistingIdIsRefused() throws Exception {
    create("agent-1");
    assertThrows(AgentExistsException.class, () -> create("agent-1"));
  }

  @Test
  void printingCredentialsNeverShowsTheSecret() throws Exception {
    AgentCredentials created = create("agent-1");
    assertFalse(created.toString().contains(created.secret()));
  }
}
