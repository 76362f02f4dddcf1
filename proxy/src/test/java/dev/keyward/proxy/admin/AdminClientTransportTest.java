package dev.keyward.proxy.admin;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Operator tokens and the secrets being stored never go over plain HTTP to another host. */
class AdminClientTransportTest {

  static final String TOKEN = "operator-token-for-transport-tests";

  @Test
  void plainHttpToAnotherHostIsRefusedWithTheFix() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new AdminClient(URI.create("http://keyward-admin.example:8081"), TOKEN,
            Optional.empty(), false));
    assertTrue(e.getMessage().contains("https://"), e.getMessage());
    assertTrue(e.getMessage().contains("--insecure"), e.getMessage());
    assertTrue(!e.getMessage().contains(TOKEN));
  }

  @Test
  void plainHttpToLoopbackIsAccepted() {
    assertDoesNotThrow(() -> new AdminClient(URI.create("http://127.0.0.1:8081"), TOKEN,
        Optional.empty(), false).close());
    assertDoesNotThrow(() -> new AdminClient(URI.create("http://localhost:8081"), TOKEN,
        Optional.empty(), false).close());
  }

  @Test
  void insecureAcceptsPlainHttpToAnotherHost() {
    assertDoesNotThrow(() -> new AdminClient(URI.create("http://keyward-admin.example:8081"),
        TOKEN, Optional.empty(), true).close());
  }
}
