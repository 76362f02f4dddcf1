package dev.keyward.vault;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * A small versioned document store with the semantics of Vault's KV v2 engine: every write makes a
 * new version, writes can be check-and-set, old versions can be destroyed, and a path carries
 * custom metadata outside its versions. Implemented over Vault ({@link VaultKvStore}) and over
 * local files ({@link FileKvStore}); every replica of the proxy shares the Vault one.
 *
 * <p>All methods block (network or disk): call them from worker threads, never an event loop.
 */
public interface KvStore {

  /** One version of a document. */
  record Document(int version, Map<String, String> data, Instant createdTime) {
    public Document {
      data = Map.copyOf(data);
    }

    /** The field names only: the values may be sealed keys, hashes or keysets. */
    @Override
    public String toString() {
      return "Document[version=" + version + ", fields=" + new TreeSet<>(data.keySet())
          + ", createdTime=" + createdTime + "]";
    }
  }

  /** What a path holds besides its data. */
  record Metadata(int currentVersion, Map<String, String> custom, List<Integer> liveVersions) {
    public Metadata {
      custom = Map.copyOf(custom);
      liveVersions = List.copyOf(liveVersions);
    }
  }

  /**
   * Reads {@code version} of the document at {@code path}, or the current version when {@code
   * version} is 0. Empty when there is no such document or the version was destroyed.
   */
  Optional<Document> read(String path, int version) throws KvException;

  /** Empty when nothing was ever written at {@code path}. */
  Optional<Metadata> metadata(String path) throws KvException;

  /**
   * Writes a new version.
   *
   * @param cas the version the caller expects to be current; 0 means the path must not exist yet
   * @return the new version number
   * @throws CasMismatchException when the current version is not {@code cas}
   */
  int write(String path, Map<String, String> data, int cas) throws KvException;

  /** Replaces the custom metadata of an existing path. */
  void putCustomMetadata(String path, Map<String, String> custom) throws KvException;

  /** Permanently removes the data of one version; the version number stays used. */
  void destroy(String path, int version) throws KvException;

  /** Names directly under {@code folder}; sub-folders end with '/'. Empty when none. */
  List<String> list(String folder) throws KvException;
}
