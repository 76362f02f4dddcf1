package dev.keyward.vault;

import java.time.Clock;

/**
 * The embedded credential store of {@code keyward dev}: sealed credentials in files under one
 * directory (see {@link FileKvStore} for the crash and concurrency guarantees).
 */
public final class FileCredentialStore extends KvCredentialStore {

  public FileCredentialStore(FileKvStore kv, Sealer sealer, Clock clock) {
    super(kv, sealer, clock);
  }
}
