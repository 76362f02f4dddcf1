package dev.keyward.vault;

import java.time.Instant;
import java.util.Objects;

/**
 * One version of a credential, without its secret: safe to list, log and audit.
 *
 * @param placeholder what agents behind the forward proxy hold instead of the key ({@link
 *     Placeholders}): the same for every version, safe to print; empty for a credential stored
 *     before placeholders existed, until its next write
 * @param createdBy who wrote this version (created it, or rotated or rolled back to it)
 * @param note why this version exists beyond a plain rotation, e.g. {@code rollback to version 2}
 */
public record CredentialMetadata(CredentialSpec spec, int version, String createdBy,
    Instant createdAt, boolean disabled, String note, String placeholder) {

  public CredentialMetadata {
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(createdBy, "createdBy");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(note, "note");
    Objects.requireNonNull(placeholder, "placeholder");
  }

  /** A version without a placeholder. */
  public CredentialMetadata(CredentialSpec spec, int version, String createdBy, Instant createdAt,
      boolean disabled, String note) {
    this(spec, version, createdBy, createdAt, disabled, note, "");
  }

  public String tenant() {
    return spec.tenant();
  }

  public String id() {
    return spec.id();
  }
}
