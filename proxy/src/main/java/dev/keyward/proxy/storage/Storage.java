package dev.keyward.proxy.storage;

import com.google.crypto.tink.Aead;
import dev.keyward.proxy.config.ConfigException;
import dev.keyward.proxy.config.StorageConfig;
import dev.keyward.vault.CredentialStore;
import dev.keyward.vault.FileCredentialStore;
import dev.keyward.vault.FileKvStore;
import dev.keyward.vault.KvException;
import dev.keyward.vault.KvStore;
import dev.keyward.vault.LocalKek;
import dev.keyward.vault.Sealer;
import dev.keyward.vault.TransitAead;
import dev.keyward.vault.VaultCredentialStore;
import dev.keyward.vault.VaultKvStore;
import dev.keyward.vault.VaultSession;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The state behind one installation: the shared store (embedded files or Vault KV v2) and the
 * key-encryption key (a local keyset or Vault Transit), with the Vault session when Vault is used.
 * Opened the same way by the server and by the CLI.
 */
public final class Storage implements AutoCloseable {

  private final StorageConfig config;
  private final KvStore kv;
  private final Aead kek;
  private final VaultSession session;
  private final ScheduledExecutorService vaultScheduler;

  private Storage(StorageConfig config, KvStore kv, Aead kek, VaultSession session,
      ScheduledExecutorService vaultScheduler) {
    this.config = config;
    this.kv = kv;
    this.kek = kek;
    this.session = session;
    this.vaultScheduler = vaultScheduler;
  }

  /**
   * Opens the store and the KEK; logs in to Vault when configured.
   *
   * @throws ConfigException naming what could not be opened, never a secret
   */
  public static Storage open(StorageConfig config, Clock clock) throws ConfigException {
    ScheduledExecutorService scheduler = null;
    VaultSession session = null;
    try {
      if (config.usesVault()) {
        scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
          Thread thread = new Thread(runnable, "keyward-vault-renewal");
          thread.setDaemon(true);
          return thread;
        });
        session = VaultSession.open(config.vault().orElseThrow(), scheduler, clock);
      }
      KvStore kv = config.fileStore().isPresent()
          ? new FileKvStore(config.fileStore().get(), clock)
          : new VaultKvStore(session, config.vaultStore().orElseThrow().mount(),
              config.vaultStore().orElseThrow().prefix(), clock);
      Aead kek = config.localKek().isPresent()
          ? LocalKek.reloading(config.localKek().get())
          : new TransitAead(session, config.transitKek().orElseThrow().mount(),
              config.transitKek().orElseThrow().key());
      return new Storage(config, kv, kek, session, scheduler);
    } catch (KvException e) {
      shutdown(session, scheduler);
      throw new ConfigException("cannot use Vault: " + e.getMessage(), e);
    } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
      shutdown(session, scheduler);
      throw new ConfigException("cannot open the store or the KEK: " + e.getMessage(), e);
    }
  }

  public KvStore kv() {
    return kv;
  }

  public Aead kek() {
    return kek;
  }

  public Sealer sealer() {
    return new Sealer(kek);
  }

  public CredentialStore credentials(Clock clock) {
    return kv instanceof FileKvStore file ? new FileCredentialStore(file, sealer(), clock)
        : new VaultCredentialStore((VaultKvStore) kv, sealer(), clock);
  }

  /** Adds a new KEK version: a new primary in the local keyset, or a new Transit key version. */
  public void rotateKek() throws IOException, GeneralSecurityException, KvException {
    if (config.localKek().isPresent()) {
      LocalKek.rotate(config.localKek().get());
    } else {
      ((TransitAead) kek).rotate();
    }
  }

  /** Failed Vault calls since start (0 without Vault), for the metrics. */
  public long vaultErrors() {
    return session == null ? 0 : session.errors();
  }

  /** One line for logs: where state lives and what protects it. */
  public String describe() {
    String store = config.fileStore().map(p -> "embedded store " + p)
        .orElseGet(() -> "Vault KV " + config.vaultStore().get().mount() + "/"
            + config.vaultStore().get().prefix() + " at " + config.vault().get().address());
    String key = config.localKek().map(p -> "local KEK " + p)
        .orElseGet(() -> "Transit key " + config.transitKek().get().mount() + "/"
            + config.transitKek().get().key());
    return store + ", " + key;
  }

  @Override
  public void close() {
    shutdown(session, vaultScheduler);
  }

  private static void shutdown(VaultSession session, ScheduledExecutorService scheduler) {
    if (session != null) {
      session.close();
    }
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
  }
}
