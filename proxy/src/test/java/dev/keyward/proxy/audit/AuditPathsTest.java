package dev.keyward.proxy.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class AuditPathsTest {

  @Test
  void anOrdinaryPathIsKeptAsItIs() {
    assertEquals("/api/v1/chat/completions", AuditPaths.scrub("/api/v1/chat/completions"));
  }

  @Test
  void aTokenInThePathIsRedacted() {
    assertEquals("/v1/[REDACTED]/x", AuditPaths.scrub(
        "/v1/eyJraWQiOiJhIn0.eyJzdWIiOiJhZ2VudCJ9.c2lnbmF0dXJlLWJ5dGVz/x"));
  }

  @Test
  void anAgentSecretInThePathIsRedacted() {
    assertEquals("/v1/[REDACTED]", AuditPaths.scrub("/v1/kwa_AbCdEfGhIjKlMnOpQrStUv"));
  }
}
