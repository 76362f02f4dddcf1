package dev.keyward.vault;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;

/**
 * The embedded credential store of {@code keyward dev}: sealed credentials in files under one
 * directory (see {@link FileKvStore} for the crash and concurrency guarantees).
 */
public final class FileCredentialStore extends KvCredentialStore {

  public FileCredentialStore(Path directory, Sealer sealer, Clock clock) throws IOException {
    super(new FileKvStore(directory, clock), sealer, clock);
  }
}
