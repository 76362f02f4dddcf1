package dev.keyward.proxy.audit;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * Something the audit trail records: a proxied request's decision, one attempt of a request on a
 * route with targets, or an operator's action.
 */
public sealed interface AuditEntry permits AuditRecord, AttemptRecord, AdminRecord {

  Instant time();

  /** The entry's fields in a fixed order, with its {@code type}; never a secret or a token. */
  JsonObject toJson();
}
