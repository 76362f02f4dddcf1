package dev.keyward.proxy.audit;

import com.fasterxml.jackson.core.JsonGenerator;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Instant;

/**
 * Something the audit trail records: a proxied request's decision, one attempt of a request on a
 * route with targets, or an operator's action.
 */
public sealed interface AuditEntry permits AuditRecord, AttemptRecord, AdminRecord {

  Instant time();

  /** The entry's fields in a fixed order, with its {@code type}; never a secret or a token. */
  JsonObject toJson();

  /**
   * Writes the fields of {@link #toJson()}, in its order and as it encodes them, into the object
   * {@code out} is writing: the audit writer's way to a line without building the object first.
   */
  default void writeFields(JsonGenerator out) throws IOException {
    AuditLines.writeFields(out, toJson());
  }
}
