package dev.keyward.bench;

import dev.keyward.vault.CasMismatchException;
import dev.keyward.vault.KvStore;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** An in-memory store so benchmarks measure the code, not the disk. Single version per path. */
final class MemoryKv implements KvStore {

  private final Map<String, Document> documents = new ConcurrentHashMap<>();

  @Override
  public Optional<Document> read(String path, int version) {
    return Optional.ofNullable(documents.get(path));
  }

  @Override
  public Optional<Metadata> metadata(String path) {
    Document d = documents.get(path);
    return d == null ? Optional.empty()
        : Optional.of(new Metadata(d.version(), Map.of(), List.of(d.version())));
  }

  @Override
  public synchronized int write(String path, Map<String, String> data, int cas)
      throws CasMismatchException {
    Document current = documents.get(path);
    int version = current == null ? 0 : current.version();
    if (version != cas) {
      throw new CasMismatchException(path, cas);
    }
    documents.put(path, new Document(version + 1, data, Instant.now()));
    return version + 1;
  }

  @Override
  public void putCustomMetadata(String path, Map<String, String> custom) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void destroy(String path, int version) {
    throw new UnsupportedOperationException();
  }

  @Override
  public List<String> list(String folder) {
    return List.of();
  }
}
