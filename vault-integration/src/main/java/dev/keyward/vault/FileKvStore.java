package dev.keyward.vault;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.keyward.policies.Names;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * {@link KvStore} on local files, for the embedded default ({@code keyward dev}). One JSON file per
 * path holds all its versions. Writes are atomic ({@link AtomicFiles}), files are mode 0600, and
 * writers in this and other processes are serialised by a lock file, so concurrent CLI and server
 * writes never interleave. Readers take no lock: a rename is atomic, so they see a whole file.
 */
public final class FileKvStore implements KvStore {

  /** Versions kept per path, as KV v2's default; older ones are dropped on write. */
  public static final int MAX_VERSIONS = 10;

  private static final String SUFFIX = ".json";
  private static final String LOCK_FILE = ".lock";
  /** FileLock is per process; threads of this process queue on one lock per directory first. */
  private static final Map<Path, ReentrantLock> PROCESS_LOCKS = new ConcurrentHashMap<>();
  private static final ObjectMapper JSON = new ObjectMapper()
      .registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  record StoredVersion(
      @JsonProperty("created_time") Instant createdTime,
      @JsonProperty("destroyed") boolean destroyed,
      @JsonProperty("data") Map<String, String> data) {

    @Override
    public String toString() {
      return "StoredVersion[createdTime=" + createdTime + ", destroyed=" + destroyed + "]";
    }
  }

  record StoredPath(
      @JsonProperty("current_version") int currentVersion,
      @JsonProperty("custom_metadata") Map<String, String> custom,
      @JsonProperty("versions") TreeMap<Integer, StoredVersion> versions) {}

  private final Path root;
  private final Clock clock;

  public FileKvStore(Path root, Clock clock) throws IOException {
    this.root = root.toAbsolutePath().normalize();
    this.clock = clock;
    AtomicFiles.createPrivateDirectories(this.root);
  }

  public Path root() {
    return root;
  }

  @Override
  public Optional<Document> read(String path, int version) throws KvException {
    Optional<StoredPath> stored = load(path);
    if (stored.isEmpty()) {
      return Optional.empty();
    }
    int wanted = version == 0 ? stored.get().currentVersion() : version;
    StoredVersion v = stored.get().versions().get(wanted);
    if (v == null || v.destroyed()) {
      return Optional.empty();
    }
    return Optional.of(new Document(wanted, v.data(), v.createdTime()));
  }

  @Override
  public Optional<Metadata> metadata(String path) throws KvException {
    return load(path).map(s -> new Metadata(s.currentVersion(), s.custom(),
        s.versions().entrySet().stream().filter(e -> !e.getValue().destroyed())
            .map(Map.Entry::getKey).toList()));
  }

  @Override
  public int write(String path, Map<String, String> data, int cas) throws KvException {
    return locked(() -> {
      Optional<StoredPath> existing = load(path);
      int current = existing.map(StoredPath::currentVersion).orElse(0);
      if (current != cas) {
        throw new CasMismatchException(path, cas);
      }
      TreeMap<Integer, StoredVersion> versions =
          existing.map(s -> new TreeMap<>(s.versions())).orElseGet(TreeMap::new);
      int next = current + 1;
      versions.put(next, new StoredVersion(clock.instant(), false, Map.copyOf(data)));
      while (versions.size() > MAX_VERSIONS) {
        versions.pollFirstEntry();
      }
      Map<String, String> custom = existing.map(StoredPath::custom).orElse(Map.of());
      save(path, new StoredPath(next, custom, versions));
      return next;
    });
  }

  @Override
  public void putCustomMetadata(String path, Map<String, String> custom) throws KvException {
    locked(() -> {
      StoredPath existing = load(path).orElseThrow(() -> new KvException("no document at " + path));
      save(path, new StoredPath(existing.currentVersion(), Map.copyOf(custom), existing.versions()));
      return null;
    });
  }

  @Override
  public void destroy(String path, int version) throws KvException {
    locked(() -> {
      StoredPath existing = load(path).orElseThrow(() -> new KvException("no document at " + path));
      TreeMap<Integer, StoredVersion> versions = new TreeMap<>(existing.versions());
      StoredVersion v = versions.get(version);
      if (v == null) {
        throw new KvException("no version " + version + " at " + path);
      }
      versions.put(version, new StoredVersion(v.createdTime(), true, Map.of()));
      save(path, new StoredPath(existing.currentVersion(), existing.custom(), versions));
      return null;
    });
  }

  @Override
  public List<String> list(String folder) throws KvException {
    Path dir = resolveFolder(folder);
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<String> names = new ArrayList<>();
    try (Stream<Path> children = Files.list(dir)) {
      for (Path child : (Iterable<Path>) children::iterator) {
        String name = child.getFileName().toString();
        if (name.startsWith(".")) {
          continue; // lock file, temp files of an interrupted write
        }
        if (Files.isDirectory(child)) {
          names.add(name + "/");
        } else if (name.endsWith(SUFFIX)) {
          names.add(name.substring(0, name.length() - SUFFIX.length()));
        }
      }
    } catch (IOException e) {
      throw new KvException("cannot list " + folder, e);
    }
    names.sort(null);
    return names;
  }

  private Optional<StoredPath> load(String path) throws KvException {
    Path file = resolve(path);
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new KvException("cannot read " + path, e);
    }
    try {
      StoredPath stored = JSON.readValue(bytes, StoredPath.class);
      Map<String, String> custom = stored.custom() == null ? Map.of() : stored.custom();
      TreeMap<Integer, StoredVersion> versions =
          stored.versions() == null ? new TreeMap<>() : stored.versions();
      return Optional.of(new StoredPath(stored.currentVersion(), custom, versions));
    } catch (IOException e) {
      throw new KvException("the document at " + path + " is corrupt");
    }
  }

  private void save(String path, StoredPath stored) throws KvException {
    try {
      AtomicFiles.write(resolve(path), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(stored));
    } catch (IOException e) {
      throw new KvException("cannot write " + path, e);
    }
  }

  private interface LockedAction<T> {
    T run() throws KvException;
  }

  private <T> T locked(LockedAction<T> action) throws KvException {
    ReentrantLock processLock = PROCESS_LOCKS.computeIfAbsent(root, r -> new ReentrantLock());
    processLock.lock();
    try (FileChannel channel = FileChannel.open(root.resolve(LOCK_FILE),
        StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = channel.lock()) {
      return action.run();
    } catch (IOException e) {
      throw new KvException("cannot lock " + root, e);
    } finally {
      processLock.unlock();
    }
  }

  private Path resolve(String path) throws KvException {
    String[] segments = checkedSegments(path);
    Path file = root;
    for (int i = 0; i < segments.length - 1; i++) {
      file = file.resolve(segments[i]);
    }
    return file.resolve(segments[segments.length - 1] + SUFFIX);
  }

  private Path resolveFolder(String folder) throws KvException {
    String trimmed = folder.endsWith("/") ? folder.substring(0, folder.length() - 1) : folder;
    if (trimmed.isEmpty()) {
      return root;
    }
    Path dir = root;
    for (String segment : checkedSegments(trimmed)) {
      dir = dir.resolve(segment);
    }
    return dir;
  }

  /** Paths are internal, but a bad segment must never escape the root. */
  private static String[] checkedSegments(String path) throws KvException {
    String[] segments = path.split("/", -1);
    for (String segment : segments) {
      if (!Names.isValid(segment)) {
        throw new KvException("invalid path segment in " + path);
      }
    }
    return segments;
  }
}
