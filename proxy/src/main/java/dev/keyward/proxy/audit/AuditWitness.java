package dev.keyward.proxy.audit;

import dev.keyward.vault.CasMismatchException;
import dev.keyward.vault.KvException;
import dev.keyward.vault.KvStore;
import java.util.Map;
import java.util.Optional;

/**
 * The latest checkpoint of each instance's log, kept in the shared store outside the log itself:
 * a log cut short before it (even of its last checkpoint) no longer matches, so a truncated tail
 * is detected.
 *
 * @param prev the hash of the line the checkpoint sealed
 */
public record AuditWitness(String instance, long seq, String prev, String time) {

  static final String ROOT = "audit/witness";

  public static Optional<AuditWitness> load(KvStore kv, String instance) throws KvException {
    return kv.read(ROOT + "/" + instance, 0).map(d -> new AuditWitness(instance,
        Long.parseLong(d.data().get("seq")), d.data().get("prev"), d.data().get("time")));
  }

  /** Records this checkpoint as the latest; never moves the witness backwards. */
  void store(KvStore kv) throws KvException {
    String path = ROOT + "/" + instance;
    for (int attempt = 0; attempt < 5; attempt++) {
      Optional<KvStore.Metadata> metadata = kv.metadata(path);
      int cas = metadata.map(KvStore.Metadata::currentVersion).orElse(0);
      Optional<AuditWitness> current = load(kv, instance);
      if (current.isPresent() && current.get().seq() >= seq) {
        return;
      }
      try {
        kv.write(path, Map.of("seq", Long.toString(seq), "prev", prev, "time", time), cas);
        return;
      } catch (CasMismatchException e) {
        // another writer of this instance's witness: re-read and try again
      }
    }
    throw new KvException("too many concurrent writes to " + path);
  }
}
