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
 * before the head no longer hashes to it. Keyward compares its files with it at every start.
 *
 * @param seq the latest checkpoint's sequence number (-1: none yet)
 * @param prev the hash of the line that checkpoint sealed
 * @param headSeq the sequence number of the last line written when the witness was stored
 * @param headHash the SHA-256 of that line's exact bytes
 * @param chain which log this is: the hash of its first line when Keyward first opened it (empty
 *     in witnesses stored before chains were named). A witness is only ever replaced by the same
 *     chain's, or by a log that recorded a gap against it.
 */
public record AuditWitness(String instance, long seq, String prev, String time, long headSeq,
    String headHash, String headTime, String chain) {

  /** The store holds the witness of another log of this instance: it is not overwritten. */
  public static final class ForeignChainException extends KvException {
    ForeignChainException(String message) {
      super(message);
    }
  }

  /** Where an instance's witness lives; only that instance may write it (keyward-proxy.hcl). */
  public static String path(String instance) {
    return AuditKeys.ROOT + "/" + instance + "/witness";
  }

  public static Optional<AuditWitness> load(KvStore kv, String instance) throws KvException {
    return kv.read(path(instance), 0).map(d -> parse(instance, d.data()));
  }

  private static AuditWitness parse(String instance, Map<String, String> w) {
    long seq = Long.parseLong(w.getOrDefault("seq", "-1"));
    return new AuditWitness(instance, seq, w.getOrDefault("prev", ""),
        w.getOrDefault("time", ""), Long.parseLong(w.getOrDefault("head_seq", Long.toString(seq))),
        w.getOrDefault("head_hash", ""), w.getOrDefault("head_time", ""),
        w.getOrDefault("chain", ""));
  }

  /** The same log at the same head (the time it was recorded aside). */
  boolean sameHead(AuditWitness other) {
    return chain.equals(other.chain) && headSeq == other.headSeq
        && headHash.equals(other.headHash);
  }

  /**
   * Records this state as the latest. Never moves the witness backwards, and never replaces the
   * witness of another chain, unless it is {@code replacing}: the one this log found its files
   * did not reach, and recorded a gap against.
   *
   * @throws ForeignChainException when the store holds another chain's witness: another Keyward
   *     writes under this instance name, or another log replaced this one
   */
  void store(KvStore kv, Optional<AuditWitness> replacing) throws KvException {
    String path = path(instance);
    for (int attempt = 0; attempt < 5; attempt++) {
      Optional<KvStore.Document> current = kv.read(path, 0);
      int cas = current.map(KvStore.Document::version).orElse(0);
      if (current.isPresent()) {
        AuditWitness stored = parse(instance, current.get().data());
        boolean sameChain = stored.chain().isEmpty() || stored.chain().equals(chain);
        if (!sameChain && replacing.map(r -> !r.sameHead(stored)).orElse(true)) {
          throw new ForeignChainException("the store holds the audit witness of another log of"
              + " instance " + instance + " (chain " + abbreviated(stored.chain()) + ", head seq "
              + stored.headSeq() + "; this log is chain " + abbreviated(chain) + "): another"
              + " Keyward writes under this instance name (audit.instance), or this log was"
              + " replaced by another. Not overwritten");
        }
        if (sameChain && stored.headSeq() >= headSeq) {
          return;
        }
      }
      try {
        kv.write(path, Map.of("seq", Long.toString(seq), "prev", prev, "time", time,
            "head_seq", Long.toString(headSeq), "head_hash", headHash, "head_time", headTime,
            "chain", chain), cas);
        return;
      } catch (CasMismatchException e) {
        // another writer of this instance's witness (a second process): re-read and try again
      }
    }
    throw new KvException("too many concurrent writes to " + path);
  }

  private static String abbreviated(String hash) {
    return hash.isEmpty() ? "unnamed" : hash.substring(0, Math.min(12, hash.length())) + "…";
  }
}
