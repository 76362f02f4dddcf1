package dev.keyward.vault;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalKekTest {

  @TempDir
  Path dir;

  static Aead newKek() throws Exception {
    AeadConfig.register();
    return KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM)
        .getPrimitive(RegistryConfiguration.get(), Aead.class);
  }

  @Test
  void isCreatedReadableByItsOwnerOnly() throws Exception {
    Path file = dir.resolve("kek.json");
    LocalKek.create(file);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
  }

  @Test
  void refusesToOverwriteAnExistingKek() throws Exception {
    Path file = dir.resolve("kek.json");
    LocalKek.create(file);
    assertThrows(IOException.class, () -> LocalKek.create(file));
  }

  @Test
  void refusesToLoadAKekOthersCanRead() throws Exception {
    Path file = dir.resolve("kek.json");
    LocalKek.create(file);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    IOException e = assertThrows(IOException.class, () -> LocalKek.load(file));
    assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
  }

  @Test
  void aReloadingKekFollowsARotationMadeByAnotherProcess() throws Exception {
    Path file = dir.resolve("kek.json");
    LocalKek.create(file);
    // An old modification time, so the rotation below surely changes it.
    Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(1000));
    Aead server = LocalKek.reloading(file);
    LocalKek.rotate(file); // the CLI, elsewhere
    byte[] fromNewPrimary = LocalKek.load(file).encrypt(new byte[] {4, 5}, new byte[0]);
    assertArrayEquals(new byte[] {4, 5}, server.decrypt(fromNewPrimary, new byte[0]));
  }

  @Test
  void afterRotationWhatTheOldKeyEncryptedStillDecrypts() throws Exception {
    Path file = dir.resolve("kek.json");
    LocalKek.create(file);
    byte[] ciphertext = LocalKek.load(file).encrypt(new byte[] {1, 2, 3}, new byte[0]);
    LocalKek.rotate(file);
    assertEquals(2, LocalKek.keyCount(file));
    assertArrayEquals(new byte[] {1, 2, 3}, LocalKek.load(file).decrypt(ciphertext, new byte[0]));
  }
}
