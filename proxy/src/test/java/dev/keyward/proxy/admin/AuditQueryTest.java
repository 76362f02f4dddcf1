package dev.keyward.proxy.admin;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AuditQueryTest {

  static AuditQuery decision(String decision) {
    return new AuditQuery(Optional.empty(), Optional.empty(), Optional.of(decision), Instant.EPOCH,
        100);
  }

  @Test
  void aFailedFallbackAttemptMatchesDecisionFailed() {
    assertTrue(decision("failed").matches(
        AuditReportTest.attempt("B", 2, "failed", "upstream_key_refused")));
    assertFalse(decision("allowed").matches(
        AuditReportTest.attempt("B", 2, "failed", "upstream_key_refused")));
  }

  @Test
  void anAttemptTheBudgetSkippedMatchesDecisionDenied() {
    assertTrue(decision("denied").matches(
        AuditReportTest.attempt("B", 0, "skipped", "budget_exceeded")));
  }

  @Test
  void aRequestRecordMatchesItsOwnDecision() {
    assertTrue(decision("would_deny").matches(AuditReportTest.request("A", 1, "would_deny", 0)));
    assertFalse(decision("denied").matches(AuditReportTest.request("A", 1, "would_deny", 0)));
  }
}
