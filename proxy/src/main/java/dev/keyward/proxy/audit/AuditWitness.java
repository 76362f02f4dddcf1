package dev.keyward.proxy.audit;

import dev.keyward.vault.CasMismatchException;
import dev.keyward.vault.KvException;
import dev.keyward.vault.KvStore;
import java.util.Map;
import java.util.Optional;

/**
 * What the shared store knows of one instance's log, outside the log's own file system: its latest
 * signed checkpoint, and its head (the last line written, refreshed every {@code
 * audit.witness_interval}). A log cut before either no longer reaches it, and a line rewritten
 * before the head no longer hashes to it.
 *
 * @param seq the latest checkpoint's sequence number (-1: none yet)
 * @param prev the hash of the line that checkpoint sealed
 * @param headSeq the sequence number of the last line written when the witness was stored
 * @param headHash the SHA-256 of that line's exact bytes
 */
public record AuditWitness(String instance, long seq, String prev, String time, long headSeq,
    String headHash, String headTime) {

  /** Where an instance's witness lives; only that instance may write it (keyward-proxy.hcl). */
  public static String path(String instance) {
    return AuditKeys.ROOT + "/" + instance + "/witness";
  }

  public static Optional<AuditWitness> load(KvStore kv, String instance) throws KvException {
    return kv.read(path(instance), 0).map(d -> {
      Map<String, String> w = d.data();
      long seq = Long.parseLong(w.getOrDefault("seq", "-1"));
      return new AuditWitness(instance, seq, w.getOrDefault("prev", ""),
          w.getOrDefault("time", ""), Long.parseLong(w.getOrDefault("head_seq", Long.toString(seq))),
          w.getOrDefault("head_hash", ""), w.getOrDefault("head_time", ""));
    });
  }

  /** Records this state as the latest; never moves the witness backwards. */
  void store(KvStore kv) throws KvException {
    String path = path(instance);
    for (int attempt = 0; attempt < 5; attempt++) {
      Optional<KvStore.Document> current = kv.read(path, 0);
      int cas = current.map(KvStore.Document::version).orElse(0);
      if (current.isPresent() && Long.parseLong(current.get().data().getOrDefault("head_seq",
          current.get().data().getOrDefault("seq", "-1"))) >= headSeq) {
        return;
      }
      try {
        kv.write(path, Map.of("seq", Long.toString(seq), "prev", prev, "time", time,
            "head_seq", Long.toString(headSeq), "head_hash", headHash, "head_time", headTime),
            cas);
        return;
      } catch (CasMismatchException e) {
        // another writer of this instance's witness (a second process): re-read and try again
      }
    }
    throw new KvException("too many concurrent writes to " + path);
  }
}
