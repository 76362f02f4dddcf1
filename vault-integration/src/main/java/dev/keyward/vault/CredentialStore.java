package dev.keyward.vault;

import java.util.List;

/**
 * Where credentials live: versioned, sealed at rest, keyed by tenant and id. Rotation writes a new
 * version and keeps the previous ones for rollback. Listing returns metadata, never secrets.
 *
 * <p>Implementations block on I/O; the proxy calls them from worker threads and serves requests
 * from its cache of sealed credentials.
 */
public interface CredentialStore {

  /** Stores a new credential as version 1. Fails with ALREADY_EXISTS if the id is taken. */
  CredentialMetadata create(CredentialSpec spec, Secret secret, String actor)
      throws CredentialStoreException;

  /** Stores {@code secret} as the next version, keeping everything else. */
  CredentialMetadata rotate(String tenant, String id, Secret secret, String actor)
      throws CredentialStoreException;

  /** Makes the secret of {@code version} current again, as a new version. */
  CredentialMetadata rollback(String tenant, String id, int version, String actor)
      throws CredentialStoreException;

  /** The current version, sealed. Disabled credentials are returned with {@code disabled} set. */
  SealedCredential current(String tenant, String id) throws CredentialStoreException;

  /** A given version, sealed. */
  SealedCredential version(String tenant, String id, int version) throws CredentialStoreException;

  /** Metadata of the current version of every credential of {@code tenant}. */
  List<CredentialMetadata> list(String tenant) throws CredentialStoreException;

  /** Every tenant that has credentials. */
  List<String> tenants() throws CredentialStoreException;

  /** Metadata of every live (not destroyed) version, oldest first. */
  List<CredentialMetadata> history(String tenant, String id) throws CredentialStoreException;

  void setDisabled(String tenant, String id, boolean disabled, String actor)
      throws CredentialStoreException;

  /** Permanently erases one version's sealed secret. The current version cannot be destroyed. */
  void destroyVersion(String tenant, String id, int version, String actor)
      throws CredentialStoreException;

  /**
   * Re-seals the current version of every credential under the KEK's current primary key (after a
   * KEK rotation), each as a new version. Returns how many were rewrapped.
   */
  int rewrapAll(String actor) throws CredentialStoreException;
}
