package dev.keyward.proxy.audit;

import com.google.crypto.tink.PublicKeyVerify;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * Checks audit files, in order: that the log starts at its genesis or at a signed anchor, every
 * line's hash link to the one before, sequence numbers without gaps, the instance that wrote it,
 * checkpoint and anchor signatures, and that the log reaches what the shared store witnessed (the
 * latest checkpoint and the head). An edited byte, a deleted line, two swapped lines, a cut head,
 * a cut tail and a missing file each break one of these. A gap record (Keyward found its files
 * cut when it opened them, and went on) is a problem in itself, wherever it is.
 */
public final class AuditVerifier {

  /** What a problem is about, for a reader who wants the checks one by one. */
  public enum Kind {
    /** Lines and their order: the hash chain, sequence numbers, where the log starts, gaps. */
    CHAIN,
    /** Checkpoint, anchor and gap signatures, and the instance that signed them. */
    SIGNATURES,
    /** Whether the log reaches, unchanged, what the shared store witnessed. */
    WITNESS
  }

  /** One thing wrong, where. */
  public record Problem(String file, long line, Kind kind, String message) {
    @Override
    public String toString() {
      return file + ":" + line + ": " + message;
    }
  }

  /**
   * What the files hold, and what is wrong with them.
   *
   * @param unsealed entries after the last checkpoint: chained, but signed by nothing yet
   * @param unwitnessed lines after the head the store witnessed: nothing outside the files
   *     vouches for them (0 when no witness was compared)
   */
  public record Result(List<Problem> problems, long entries, long checkpoints, long lastSeq,
      long unsealed, long unwitnessed, List<String> notes) {
    public boolean ok() {
      return problems.isEmpty();
    }
  }

  /**
   * How to check.
   *
   * @param verifier the instance's public key; without it signatures are not checked (a note
   *     says so)
   * @param witness what the store witnessed for the instance, compared when the files reach the
   *     current log
   * @param witnessRequired a missing witness is a problem (verify with a configuration): a cut log
   *     could not be told otherwise
   * @param instance the instance whose log this must be; every header and checkpoint must name it
   * @param wholeLog the files are every file of the log (not a chosen few): a missing predecessor
   *     is a problem, not a note
   * @param signaturesRequired without a {@code verifier}, a signed line (anchor or checkpoint) is
   *     a problem rather than a note (verify with a configuration: the instance's key is missing)
   */
  public record Options(Optional<PublicKeyVerify> verifier, Optional<AuditWitness> witness,
      boolean witnessRequired, Optional<String> instance, boolean wholeLog,
      boolean signaturesRequired) {}

  private AuditVerifier() {}

  /** The chain, signatures and witness, without an expected instance or a required witness. */
  public static Result verify(List<Path> files, Optional<PublicKeyVerify> verifier,
      Optional<AuditWitness> witness) throws IOException {
    return verify(files, new Options(verifier, witness, false, Optional.empty(), false, false));
  }

  public static Result verify(List<Path> files, Options options) throws IOException {
    List<Problem> problems = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    Optional<PublicKeyVerify> verifier = options.verifier();
    Optional<AuditWitness> witness = options.witness();
    String expectedPrev = null;
    long expectedSeq = -1;
    long entries = 0;
    long checkpoints = 0;
    long unsealed = 0;
    boolean checkpointWitnessed = false;
    boolean keyMissingReported = false;
    String headHashSeen = null;
    for (Path file : files) {
      byte[] bytes = Files.readAllBytes(file);
      String name = file.getFileName().toString();
      List<byte[]> lines = splitLines(bytes);
      boolean tornTail = bytes.length > 0 && bytes[bytes.length - 1] != '\n';
      for (int i = 0; i < lines.size(); i++) {
        long lineNo = i + 1;
        byte[] raw = lines.get(i);
        String line = new String(raw, StandardCharsets.UTF_8);
        String hash = AuditChain.hash(raw);
        if (tornTail && i == lines.size() - 1) {
          problems.add(new Problem(name, lineNo, Kind.CHAIN, "the file ends in the middle of a line: it was"
              + " truncated (or Keyward crashed mid-write)"));
          continue; // Keyward goes on from the last complete line; so does the check
        }
        JsonObject json;
        try {
          json = new JsonObject(line);
        } catch (RuntimeException e) {
          problems.add(new Problem(name, lineNo, Kind.CHAIN, "not valid JSON: the line was edited"));
          expectedPrev = hash;
          expectedSeq = -1;
          continue;
        }
        String prev = json.getString("prev", "");
        long seq = json.getLong("seq", -1L);
        String type = json.getString("type", "");
        if (expectedPrev == null) {
          checkStart(json, seq, prev, name, lineNo, options, problems, notes);
        } else if (!expectedPrev.equals(prev)) {
          problems.add(new Problem(name, lineNo, Kind.CHAIN, "hash chain broken: the line before it was"
              + " edited, removed or moved"));
        }
        boolean gap = AuditChain.GAP.equals(type);
        if (expectedSeq >= 0 && (gap ? seq < expectedSeq : seq != expectedSeq)) {
          problems.add(new Problem(name, lineNo, Kind.CHAIN, "sequence " + expectedSeq + " expected, found "
              + seq + ": a line was removed or moved"));
        }
        boolean signed = AuditChain.CHECKPOINT.equals(type) || AuditChain.FILE.equals(type)
            || gap;
        if (signed && verifier.isEmpty() && options.signaturesRequired() && !keyMissingReported) {
          keyMissingReported = true;
          problems.add(new Problem(name, lineNo, Kind.SIGNATURES, "signed by instance "
              + json.getString("instance") + ", but there is no public key to check it: neither"
              + " audit.public_key nor the store (" + AuditKeys.publicKeyPath(
                  options.instance().orElse(json.getString("instance", "?"))) + ") has one."
              + " The key was deleted from the store, or this is another instance's log"));
        }
        if (signed && options.instance().isPresent()
            && !options.instance().get().equals(json.getString("instance"))) {
          problems.add(new Problem(name, lineNo, Kind.SIGNATURES, "written by instance "
              + json.getString("instance") + ", not " + options.instance().get()
              + ": a file of another log"));
        }
        if (AuditChain.CHECKPOINT.equals(type)) {
          checkpoints++;
          unsealed = 0;
          checkSignature(json, AuditChain.checkpointMessage(json.getString("instance"), seq,
              json.getString("time"), prev), verifier, name, lineNo, problems,
              "checkpoint signature invalid: the checkpoint or the chain it seals was altered");
          if (witness.isPresent() && witness.get().seq() == seq) {
            checkpointWitnessed = true;
            if (!witness.get().prev().equals(prev)) {
              problems.add(new Problem(name, lineNo, Kind.WITNESS, "this checkpoint differs from the one"
                  + " witnessed in the store: the log before it was rewritten"));
            }
          }
        } else if (gap) {
          // Its sequence number skips the lines it says are missing; the gap itself is the problem.
          problems.add(new Problem(name, lineNo, Kind.CHAIN, AuditChain.describeGap(
              json.getLong("expected_seq", -1L), json.getString("expected_by", ""),
              json.getString("expected_time", ""), json.getLong("found_seq", -1L),
              json.getString("time", ""))));
          checkSignature(json, AuditChain.gapMessage(json.getString("instance"), seq,
              json.getString("time"), prev, json.getString("expected_by"),
              json.getLong("expected_seq", -1L), json.getString("expected_hash"),
              json.getLong("found_seq", -1L), json.getString("found_hash")), verifier, name,
              lineNo, problems, "gap record signature invalid: the gap record was altered");
        } else if (!AuditChain.FILE.equals(type)) {
          entries++;
          unsealed++;
        }
        if (witness.isPresent() && witness.get().headSeq() == seq) {
          headHashSeen = hash;
          if (!witness.get().headHash().isEmpty() && !witness.get().headHash().equals(hash)) {
            problems.add(new Problem(name, lineNo, Kind.WITNESS, "this line differs from the one witnessed in"
                + " the store as the log's head at " + witness.get().headTime()
                + ": it was rewritten"));
          }
        }
        expectedPrev = hash;
        expectedSeq = seq + 1;
      }
    }
    long lastSeq = expectedSeq - 1;
    String lastFile = files.isEmpty() ? "" : files.get(files.size() - 1).getFileName().toString();
    long unwitnessed = 0;
    if (witness.isPresent()) {
      AuditWitness w = witness.get();
      if (lastSeq < w.headSeq()) {
        problems.add(new Problem(lastFile, 0, Kind.WITNESS, "truncated: the store witnessed this log up to seq "
            + w.headSeq() + " (at " + w.headTime() + "), but it ends at seq " + lastSeq + ": "
            + (w.headSeq() - lastSeq) + " line" + (w.headSeq() - lastSeq == 1 ? " was" : "s were")
            + " cut off the end"));
      } else if (w.seq() >= 0 && !checkpointWitnessed) {
        problems.add(new Problem(lastFile, 0, Kind.WITNESS, "truncated: checkpoint " + w.seq() + " of "
            + w.time() + " was witnessed in the store but is not in the log, which ends at "
            + lastSeq));
      }
      if (headHashSeen == null && lastSeq >= w.headSeq() && !w.headHash().isEmpty()) {
        problems.add(new Problem(lastFile, 0, Kind.WITNESS, "the line at seq " + w.headSeq() + " that the store"
            + " witnessed as the head is not in the files given"));
      }
      unwitnessed = Math.max(0, lastSeq - Math.max(w.headSeq(), w.seq()));
    } else if (options.witnessRequired()) {
      problems.add(new Problem(lastFile, 0, Kind.WITNESS, "no witness in the store for instance "
          + options.instance().orElse("?") + ": a cut log cannot be told from an intact one (is"
          + " this the instance's log, and the store it writes to?)"));
    }
    if (verifier.isEmpty() && !options.signaturesRequired()) {
      notes.add("checkpoint signatures not checked: no public key (pass --config)");
    }
    if (witness.isEmpty() && !options.witnessRequired()) {
      notes.add("no witnessed checkpoint to compare with: a truncated tail cannot be ruled out");
    }
    if (unsealed > 0) {
      notes.add(unsealed + (unsealed == 1 ? " entry after the last checkpoint is"
          : " entries after the last checkpoint are") + " not yet sealed" + (witness.isPresent()
          ? "; " + unwitnessed + " line" + (unwitnessed == 1 ? "" : "s")
              + " after the witnessed head" : ""));
    }
    return new Result(problems, entries, checkpoints, lastSeq, unsealed, unwitnessed, notes);
  }

  /** The first line given must be the log's genesis, or a file header signed as an anchor. */
  private static void checkStart(JsonObject json, long seq, String prev, String name,
      long lineNo, Options options, List<Problem> problems, List<String> notes) {
    if (seq == 0 && AuditChain.GENESIS.equals(prev)) {
      return;
    }
    boolean header = AuditChain.FILE.equals(json.getString("type"))
        && json.getString("signature") != null;
    if (!header) {
      problems.add(new Problem(name, lineNo, Kind.CHAIN, "the log starts mid-chain at seq " + seq
          + " without a signed anchor: its first lines were removed"));
      return;
    }
    if (options.verifier().isEmpty()) {
      notes.add(name + " starts mid-chain at seq " + seq + " (anchor signature not checked)");
      return;
    }
    checkSignature(json, AuditChain.anchorMessage(json.getString("instance"), seq,
        json.getString("time"), prev, json.getString("previous_file")), options.verifier(),
        name, lineNo, problems, "anchor signature invalid: this file's header was altered");
    String previous = json.getString("previous_file");
    if (options.wholeLog()) {
      problems.add(new Problem(name, lineNo, Kind.CHAIN, "the file before it (" + previous + ") is missing:"
          + " the log's earlier files were removed. If they were archived on purpose, verify"
          + " them together with these, or name the files to check"));
    } else {
      notes.add("starts at the signed anchor at seq " + seq + " in " + name + "; the files"
          + " before it (" + previous + ") were not checked");
    }
  }

  private static void checkSignature(JsonObject json, byte[] message,
      Optional<PublicKeyVerify> verifier, String file, long line, List<Problem> problems,
      String complaint) {
    if (verifier.isEmpty()) {
      return;
    }
    try {
      byte[] signature = Base64.getDecoder().decode(json.getString("signature", ""));
      verifier.get().verify(signature, message);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      problems.add(new Problem(file, line, Kind.SIGNATURES, complaint));
    }
  }

  private static List<byte[]> splitLines(byte[] bytes) {
    List<byte[]> lines = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == '\n') {
        lines.add(java.util.Arrays.copyOfRange(bytes, start, i));
        start = i + 1;
      }
    }
    if (start < bytes.length) {
      lines.add(java.util.Arrays.copyOfRange(bytes, start, bytes.length));
    }
    return lines;
  }
}
