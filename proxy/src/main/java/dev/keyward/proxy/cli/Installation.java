package dev.keyward.proxy.cli;

import com.google.crypto.tink.Aead;
import dev.keyward.proxy.config.KeywardConfig;
import dev.keyward.token.AgentRegistry;
import dev.keyward.token.RevocationStore;
import dev.keyward.token.SigningKeyStore;
import dev.keyward.vault.CredentialStore;
import dev.keyward.vault.FileCredentialStore;
import dev.keyward.vault.FileKvStore;
import dev.keyward.vault.LocalKek;
import dev.keyward.vault.Sealer;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.time.Clock;

/**
 * The parts of an installation the CLI works on directly: the KEK and the shared store, with the
 * credential store, signing keys, agents and revocations in it. A running server picks changes
 * up within its refresh interval.
 */
final class Installation {

  private final KeywardConfig config;
  private final Aead kek;
  private final FileKvStore kv;

  private Installation(KeywardConfig config, Aead kek, FileKvStore kv) {
    this.config = config;
    this.kek = kek;
    this.kv = kv;
  }

  static Installation open(KeywardConfig config) throws CliException {
    Aead kek;
    try {
      kek = LocalKek.load(config.localKek());
    } catch (IOException | GeneralSecurityException e) {
      throw new CliException(ExitCodes.UNAVAILABLE,
          "cannot load the KEK " + config.localKek() + ": " + e.getMessage());
    }
    try {
      return new Installation(config, kek, new FileKvStore(config.fileStore(), Clock.systemUTC()));
    } catch (IOException e) {
      throw new CliException(ExitCodes.UNAVAILABLE, "cannot open the store " + config.fileStore()
          + ": " + e.getMessage());
    }
  }

  KeywardConfig config() {
    return config;
  }

  CredentialStore credentialStore() {
    return new FileCredentialStore(kv, new Sealer(kek), Clock.systemUTC());
  }

  SigningKeyStore signingKeys() throws CliException {
    if (config.jwks().isPresent()) {
      throw new CliException(ExitCodes.INVALID, "this installation verifies tokens only"
          + " (tokens.jwks is set); mint and rotate where the signing keys live");
    }
    return new SigningKeyStore(kv, kek);
  }

  RevocationStore revocations() {
    return new RevocationStore(kv);
  }

  AgentRegistry agents() {
    return new AgentRegistry(kv);
  }
}
