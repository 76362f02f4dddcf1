package dev.keyward.vault;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;

/**
 * The key-encryption key of the embedded default: an AES-256-GCM Tink keyset in a file readable by
 * its owner only (0600). It is the one key on disk in the clear, by design; production installs use
 * Vault Transit instead, where the KEK never leaves Vault.
 */
public final class LocalKek {

  static {
    try {
      AeadConfig.register();
    } catch (GeneralSecurityException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private LocalKek() {}

  /** Creates a new KEK file; fails if the file exists. */
  public static void create(Path file) throws IOException, GeneralSecurityException {
    if (Files.exists(file)) {
      throw new IOException("refusing to overwrite the existing KEK " + file);
    }
    write(file, KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM));
  }

  /**
   * Loads the KEK as an {@link Aead} that decrypts under every key in the file and encrypts under
   * the primary.
   *
   * @throws IOException when missing, or readable by anyone but its owner
   */
  public static Aead load(Path file) throws IOException, GeneralSecurityException {
    return handle(file).getPrimitive(RegistryConfiguration.get(), Aead.class);
  }

  /**
   * The KEK as an {@link Aead} that follows rotations made by another process (the CLI): before
   * encrypting, and after a failed decryption, it re-reads the file if it changed since it was
   * loaded, so a running server needs no restart after {@code keyward kek rotate}.
   */
  public static Aead reloading(Path file) throws IOException, GeneralSecurityException {
    return new Reloading(file);
  }

  private static final class Reloading implements Aead {
    private final Path file;
    private volatile Aead current;
    private volatile FileTime loadedModified;

    Reloading(Path file) throws IOException, GeneralSecurityException {
      this.file = file;
      reload();
    }

    private synchronized boolean reloadIfChanged() {
      try {
        if (Files.getLastModifiedTime(file).equals(loadedModified)) {
          return false;
        }
        reload();
        return true;
      } catch (IOException | GeneralSecurityException e) {
        return false; // keep the keys we have; the caller's error stands
      }
    }

    private void reload() throws IOException, GeneralSecurityException {
      FileTime modified = Files.getLastModifiedTime(file);
      current = load(file);
      loadedModified = modified;
    }

    @Override
    public byte[] encrypt(byte[] plaintext, byte[] associatedData) throws GeneralSecurityException {
      reloadIfChanged();
      return current.encrypt(plaintext, associatedData);
    }

    @Override
    public byte[] decrypt(byte[] ciphertext, byte[] associatedData) throws GeneralSecurityException {
      try {
        return current.decrypt(ciphertext, associatedData);
      } catch (GeneralSecurityException e) {
        if (!reloadIfChanged()) {
          throw e;
        }
        return current.decrypt(ciphertext, associatedData);
      }
    }
  }

  /** Adds a new primary key; the previous keys stay so existing credentials still decrypt. */
  public static void rotate(Path file) throws IOException, GeneralSecurityException {
    KeysetHandle current = handle(file);
    KeysetHandle.Builder builder = KeysetHandle.newBuilder(current);
    builder.addEntry(KeysetHandle.generateEntryFromParameters(PredefinedAeadParameters.AES256_GCM)
        .withRandomId().makePrimary());
    write(file, builder.build());
  }

  /** Number of keys in the file; grows by one per rotation. */
  public static int keyCount(Path file) throws IOException, GeneralSecurityException {
    return handle(file).size();
  }

  private static KeysetHandle handle(Path file) throws IOException, GeneralSecurityException {
    if (!Files.exists(file)) {
      throw new IOException("no KEK at " + file);
    }
    if (AtomicFiles.isShared(file)) {
      throw new IOException("the KEK " + file + " is readable by others; run: chmod 600 " + file);
    }
    String json = Files.readString(file, StandardCharsets.UTF_8);
    return TinkJsonProtoKeysetFormat.parseKeyset(json, InsecureSecretKeyAccess.get());
  }

  private static void write(Path file, KeysetHandle handle)
      throws IOException, GeneralSecurityException {
    String json = TinkJsonProtoKeysetFormat.serializeKeyset(handle, InsecureSecretKeyAccess.get());
    AtomicFiles.write(file, json.getBytes(StandardCharsets.UTF_8));
  }
}
