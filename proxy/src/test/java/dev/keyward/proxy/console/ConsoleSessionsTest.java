package dev.keyward.proxy.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.token.OperatorToken;
import dev.keyward.token.Role;
import dev.keyward.vault.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ConsoleSessionsTest {

  final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
  final ConsoleSessions sessions = new ConsoleSessions(clock);

  OperatorToken operator(Duration ttl) {
    return new OperatorToken("olivia", Role.OPERATOR, "jti-1", clock.instant().plus(ttl));
  }

  @Test
  void aSessionIsFoundByItsIdUntilItsTokenExpires() {
    ConsoleSessions.Session session = sessions.open("token", operator(Duration.ofMinutes(30)));
    assertTrue(sessions.find(session.id()).isPresent());
    clock.advance(Duration.ofMinutes(30));
    assertTrue(sessions.find(session.id()).isEmpty());
    assertEquals(0, sessions.size());
  }

  @Test
  void idsAndCsrfTokensAreRandomAndDistinct() {
    ConsoleSessions.Session a = sessions.open("t", operator(Duration.ofHours(1)));
    ConsoleSessions.Session b = sessions.open("t", operator(Duration.ofHours(1)));
    assertNotEquals(a.id(), b.id());
    assertNotEquals(a.csrf(), b.csrf());
    assertNotEquals(a.id(), a.csrf());
    assertEquals(43, a.id().length()); // 256 bits, base64url
  }

  @Test
  void theCsrfTokenMustMatchExactly() {
    ConsoleSessions.Session session = sessions.open("t", operator(Duration.ofHours(1)));
    assertTrue(session.csrfMatches(session.csrf()));
    assertFalse(session.csrfMatches(session.csrf() + "x"));
    assertFalse(session.csrfMatches(""));
    assertFalse(session.csrfMatches(null));
  }

  @Test
  void aFlashMessageIsShownOnce() {
    ConsoleSessions.Session session = sessions.open("t", operator(Duration.ofHours(1)));
    session.flash("Rotated.");
    assertEquals("Rotated.", session.takeFlash());
    assertEquals(null, session.takeFlash());
  }

  @Test
  void closingEndsTheSessionAndItsStringHoldsNoToken() {
    ConsoleSessions.Session session = sessions.open("secret-token-text",
        operator(Duration.ofHours(1)));
    assertFalse(session.toString().contains("secret-token-text"));
    sessions.close(session);
    assertTrue(sessions.find(session.id()).isEmpty());
  }
}
