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
 * Checks audit files, in order: every line's hash link to the one before, sequence numbers without
 * gaps, checkpoint signatures, and that the log reaches the checkpoint witnessed in the shared
 * store. An edited byte, a deleted line, two swapped lines and a truncated tail each break one of
 * these.
 */
public final class AuditVerifier {

  /** One thing wrong, where. */
  public record Problem(String file, long line, String message) {
    @Override
    public String toString() {
      return file + ":" + line + ": " + message;
    }
  }

  /** What the files hold, and what is wrong with them. */
  public record Result(List<Problem> problems, long entries, long checkpoints, long lastSeq,
      long unsealed, List<String> notes) {
    public boolean ok() {
      return problems.isEmpty();
    }
  }

  private AuditVerifier() {}

  /**
   * @param verifier checkpoint public key; without it signatures are not checked (and a note says so)
   * @param witness the latest checkpoint recorded in the store, if known
   */
  public static Result verify(List<Path> files, Optional<PublicKeyVerify> verifier,
      Optional<AuditWitness> witness) throws IOException {
    List<Problem> problems = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    String expectedPrev = null;
    long expectedSeq = -1;
    long entries = 0;
    long checkpoints = 0;
    long unsealed = 0;
    boolean witnessSeen = false;
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
          problems.add(new Problem(name, lineNo, "the file ends in the middle of a line: it was"
              + " truncated (or Keyward crashed mid-write)"));
          continue; // Keyward goes on from the last complete line; so does the check
        }
        JsonObject json;
        try {
          json = new JsonObject(line);
        } catch (RuntimeException e) {
          problems.add(new Problem(name, lineNo, "not valid JSON: the line was edited"));
          expectedPrev = hash;
          expectedSeq = -1;
          continue;
        }
        String prev = json.getString("prev", "");
        long seq = json.getLong("seq", -1L);
        if (expectedPrev == null) {
          if (!AuditChain.GENESIS.equals(prev)) {
            notes.add(name + " starts mid-chain (its predecessor was not given)");
          }
        } else if (!expectedPrev.equals(prev)) {
          problems.add(new Problem(name, lineNo, "hash chain broken: the line before it was"
              + " edited, removed or moved"));
        }
        if (expectedSeq >= 0 && seq != expectedSeq) {
          problems.add(new Problem(name, lineNo, "sequence " + expectedSeq + " expected, found "
              + seq + ": a line was removed or moved"));
        }
        if (AuditChain.CHECKPOINT.equals(json.getString("type"))) {
          checkpoints++;
          unsealed = 0;
          checkSignature(json, seq, prev, verifier, name, lineNo, problems);
          if (witness.isPresent() && witness.get().seq() == seq) {
            witnessSeen = true;
            if (!witness.get().prev().equals(prev)) {
              problems.add(new Problem(name, lineNo, "this checkpoint differs from the one"
                  + " witnessed in the store: the log before it was rewritten"));
            }
          }
        } else if (!AuditChain.FILE.equals(json.getString("type"))) {
          entries++;
          unsealed++;
        }
        expectedPrev = hash;
        expectedSeq = seq + 1;
      }
    }
    long lastSeq = expectedSeq - 1;
    if (witness.isPresent() && !witnessSeen) {
      problems.add(new Problem(files.isEmpty() ? "" : files.get(files.size() - 1).getFileName()
          .toString(), 0, "truncated: checkpoint " + witness.get().seq() + " of "
          + witness.get().time() + " was witnessed in the store but is not in the log, which"
          + " ends at " + lastSeq));
    }
    if (verifier.isEmpty()) {
      notes.add("checkpoint signatures not checked: no public key (pass --config)");
    }
    if (witness.isEmpty()) {
      notes.add("no witnessed checkpoint to compare with: a truncated tail cannot be ruled out");
    }
    if (unsealed > 0) {
      notes.add(unsealed + (unsealed == 1 ? " entry after the last checkpoint is"
          : " entries after the last checkpoint are") + " not yet sealed");
    }
    return new Result(problems, entries, checkpoints, lastSeq, unsealed, notes);
  }

  private static void checkSignature(JsonObject json, long seq, String prev,
      Optional<PublicKeyVerify> verifier, String file, long line, List<Problem> problems) {
    if (verifier.isEmpty()) {
      return;
    }
    try {
      byte[] signature = Base64.getDecoder().decode(json.getString("signature", ""));
      verifier.get().verify(signature, AuditChain.checkpointMessage(json.getString("instance"),
          seq, json.getString("time"), prev));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      problems.add(new Problem(file, line, "checkpoint signature invalid: the checkpoint or the"
          + " chain it seals was altered"));
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
