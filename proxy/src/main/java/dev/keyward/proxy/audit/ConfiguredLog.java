package dev.keyward.proxy.audit;

import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.PublicKeyVerify;
import dev.keyward.vault.KvException;
import dev.keyward.vault.KvStore;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.Optional;

/**
 * An instance's configured audit log, checked as {@code keyward audit verify --config} and the
 * console's verify panel check it: every file, signatures against the key pinned in {@code
 * audit.public_key} (else the instance's key in the store), and what the store witnessed. A
 * missing witness or key is a failure, not a skipped check.
 */
public final class ConfiguredLog {

  /** What was checked and found. */
  public record Verified(String instance, List<Path> files, AuditVerifier.Result result) {}

  private ConfiguredLog() {}

  /** The key that checks the instance's signatures; empty when neither pinned nor stored. */
  public static Optional<PublicKeyVerify> verifier(AuditLog.Settings settings, KvStore kv,
      String instance) throws IOException, KvException, GeneralSecurityException {
    Optional<Path> pinned = settings.publicKey();
    Optional<KeysetHandle> key = pinned.isPresent()
        ? Optional.of(AuditKeys.readPublicKeyset(pinned.get()))
        : AuditKeys.publicKeyset(kv, instance);
    return key.isPresent() ? Optional.of(AuditKeys.verifier(key.get())) : Optional.empty();
  }

  /**
   * Verifies every file of the log in {@code settings}. The witness is read before the files, so
   * the files hold at least what it vouches for even while Keyward appends.
   *
   * @throws IllegalStateException when the installation audits to stdout only
   */
  public static Verified verify(AuditLog.Settings settings, KvStore kv)
      throws IOException, KvException, GeneralSecurityException {
    Path current = settings.file().orElseThrow(() -> new IllegalStateException(
        "this installation audits to stdout only (audit.file is not set)"));
    String instance = settings.instance();
    Optional<PublicKeyVerify> verifier = verifier(settings, kv, instance);
    Optional<AuditWitness> witness = AuditWitness.load(kv, instance);
    List<Path> files = AuditFiles.inOrder(current);
    AuditVerifier.Result result = AuditVerifier.verify(files, new AuditVerifier.Options(
        verifier, witness, true, Optional.of(instance), true, true));
    return new Verified(instance, files, result);
  }
}
