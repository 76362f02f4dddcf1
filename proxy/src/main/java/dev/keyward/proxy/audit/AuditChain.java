package dev.keyward.proxy.audit;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The rules of the audit chain, shared by writer and verifier. Every line carries {@code prev}, the
 * SHA-256 of the exact bytes of the line before it (across rotated files too); the first line of
 * the first file points at {@link #GENESIS}. A checkpoint line signs its position in the chain.
 */
public final class AuditChain {

  public static final String GENESIS = "0".repeat(64);
  public static final String CHECKPOINT = "checkpoint";
  /** The first line of every file: where the chain comes from. */
  public static final String FILE = "file";
  /**
   * Written when Keyward opens its log and the files do not reach what the log is known to have
   * held (the store's witness, or what this process wrote): lines were cut or replaced.
   */
  public static final String GAP = "gap";
  /** A gap's {@code expected_by}: the store's witness of the instance's head. */
  public static final String BY_WITNESS = "witness";
  /** A gap's {@code expected_by}: the lines this process had written before reopening its file. */
  public static final String BY_WRITER = "writer";

  private AuditChain() {}

  public static String hash(byte[] line) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(line));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }

  /**
   * What a file header's signature covers: where the file starts in the chain, so a log whose
   * earlier files were archived can start here, and nowhere else mid-chain.
   */
  public static byte[] anchorMessage(String instance, long seq, String time, String prev,
      String previousFile) {
    return ("keyward-audit-anchor/1|" + instance + "|" + seq + "|" + time + "|" + prev + "|"
        + (previousFile == null ? "" : previousFile)).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * What a gap record's signature covers: where it sits in the chain, what the log was known to
   * hold ({@code expectedSeq}, {@code expectedHash}) and where the files ended ({@code foundSeq}
   * -1 when no line was left).
   */
  public static byte[] gapMessage(String instance, long seq, String time, String prev,
      String expectedBy, long expectedSeq, String expectedHash, long foundSeq, String foundHash) {
    return ("keyward-audit-gap/1|" + instance + "|" + seq + "|" + time + "|" + prev + "|"
        + expectedBy + "|" + expectedSeq + "|" + expectedHash + "|" + foundSeq + "|" + foundHash)
        .getBytes(StandardCharsets.UTF_8);
  }

  /** What a gap record says, for the log at start and for {@code audit verify}. */
  public static String describeGap(long expectedSeq, String expectedBy, String expectedTime,
      long foundSeq, String time) {
    String known = BY_WRITER.equals(expectedBy)
        ? "when Keyward reopened its log at " + time + ", it had written it up to seq "
            + expectedSeq
        : "when Keyward started at " + time + ", the store had witnessed this log up to seq "
            + expectedSeq + (expectedTime.isEmpty() ? "" : " (at " + expectedTime + ")");
    String found;
    if (foundSeq < 0) {
      found = "no audit line was left: the whole log was deleted";
    } else if (foundSeq < expectedSeq) {
      long missing = expectedSeq - foundSeq;
      found = "the files ended at seq " + foundSeq + ": " + missing + " line"
          + (missing == 1 ? " was" : "s were") + " cut";
    } else {
      found = "the line at seq " + expectedSeq + " in the files is not that line: the log was"
          + " replaced or rewritten";
    }
    return "gap: " + known + ", but " + found + " while Keyward "
        + (BY_WRITER.equals(expectedBy) ? "could not write it" : "was stopped")
        + ". Keyward went on " + (foundSeq < 0 ? "in a new log" : "from what was left")
        + " and recorded this signed gap";
  }

  /** What a checkpoint's signature covers. */
  public static byte[] checkpointMessage(String instance, long seq, String time, String prev) {
    return ("keyward-audit-checkpoint/1|" + instance + "|" + seq + "|" + time + "|" + prev)
        .getBytes(StandardCharsets.UTF_8);
  }
}
