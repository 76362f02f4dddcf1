package dev.keyward.vault;

import java.util.Objects;

/** A credential version as stored: metadata and the sealed secret. Safe to cache. */
public record SealedCredential(CredentialMetadata metadata, SealedSecret sealed) {

  public SealedCredential {
    Objects.requireNonNull(metadata, "metadata");
    Objects.requireNonNull(sealed, "sealed");
  }
}
