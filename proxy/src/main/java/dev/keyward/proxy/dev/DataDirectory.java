package dev.keyward.proxy.dev;

import dev.keyward.proxy.config.ConfigException;
import dev.keyward.proxy.config.KeywardConfig;
import dev.keyward.token.SigningKeyStore;
import dev.keyward.vault.AtomicFiles;
import dev.keyward.vault.FileKvStore;
import dev.keyward.vault.KvException;
import dev.keyward.vault.LocalKek;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Instant;

/**
 * The embedded default's data directory ({@code ./keyward-data}): a local KEK (0600), the store
 * (sealed credentials, token signing keys encrypted under the KEK, agents, revocations), a sample
 * policy and the configuration that ties them together. Nothing in it is plaintext except the
 * policy and the configuration.
 */
public final class DataDirectory {

  public static final String DEFAULT = "keyward-data";
  public static final String CONFIG = "keyward.yaml";
  public static final String KEK = "kek.json";
  public static final String POLICY = "policy.yaml";
  public static final String STORE = "store";
  public static final String PRICES = "prices.yaml";

  private DataDirectory() {}

  /**
   * Creates whatever is missing; existing files are never overwritten.
   *
   * @return true when the directory was created now (a first run)
   */
  public static boolean initialize(Path dir) throws IOException, GeneralSecurityException {
    boolean firstRun = !Files.exists(dir.resolve(CONFIG));
    AtomicFiles.createPrivateDirectories(dir);
    Path kek = dir.resolve(KEK);
    if (!Files.exists(kek)) {
      LocalKek.create(kek);
    }
    FileKvStore store = new FileKvStore(dir.resolve(STORE), Clock.systemUTC());
    try {
      new SigningKeyStore(store, LocalKek.load(kek)).initialize(Instant.now());
    } catch (KvException e) {
      throw new IOException("cannot write the token signing keys: " + e.getMessage(), e);
    }
    copyResourceIfMissing("sample-policy.yaml", dir.resolve(POLICY));
    copyResourceIfMissing("dev-config.yaml", dir.resolve(CONFIG));
    copyResourceIfMissing("/dev/keyward/llm/prices.yaml", dir.resolve(PRICES));
    return firstRun;
  }

  /** The configuration of an initialised data directory. */
  public static KeywardConfig config(Path dir) throws ConfigException {
    Path config = dir.resolve(CONFIG);
    if (!Files.exists(config)) {
      throw new ConfigException("no Keyward data directory at " + dir.toAbsolutePath()
          + "; run `keyward dev` once to create it, or pass --config");
    }
    return KeywardConfig.load(config);
  }

  private static void copyResourceIfMissing(String resource, Path target) throws IOException {
    if (Files.exists(target)) {
      return;
    }
    try (InputStream in = DataDirectory.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException("missing built-in resource " + resource);
      }
      AtomicFiles.write(target, in.readAllBytes());
    }
  }
}
