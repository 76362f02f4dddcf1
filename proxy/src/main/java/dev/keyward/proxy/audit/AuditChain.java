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

  /** What a checkpoint's signature covers. */
  public static byte[] checkpointMessage(String instance, long seq, String time, String prev) {
    return ("keyward-audit-checkpoint/1|" + instance + "|" + seq + "|" + time + "|" + prev)
        .getBytes(StandardCharsets.UTF_8);
  }
}
