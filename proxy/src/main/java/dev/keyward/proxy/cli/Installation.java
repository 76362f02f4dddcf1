package dev.keyward.proxy.cli;

import dev.keyward.proxy.config.ConfigException;
import dev.keyward.proxy.config.KeywardConfig;
import dev.keyward.proxy.storage.Storage;
import dev.keyward.token.AgentRegistry;
import dev.keyward.token.RevocationStore;
import dev.keyward.token.SigningKeyStore;
import dev.keyward.vault.CredentialStore;
import java.time.Clock;

/**
 * The parts of an installation the CLI works on directly: the shared store (embedded or Vault)
 * with the credentials, signing keys, agents and revocations in it, and the KEK. A running server
 * picks changes up within its refresh interval or cache TTL.
 */
final class Installation implements AutoCloseable {

  private final KeywardConfig config;
  private final Storage storage;

  private Installation(KeywardConfig config, Storage storage) {
    this.config = config;
    this.storage = storage;
  }

  static Installation open(KeywardConfig config) throws CliException {
    try {
      return new Installation(config, Storage.open(config.storage(), Clock.systemUTC()));
    } catch (ConfigException e) {
      throw new CliException(ExitCodes.UNAVAILABLE, e.getMessage());
    }
  }

  KeywardConfig config() {
    return config;
  }

  Storage storage() {
    return storage;
  }

  CredentialStore credentialStore() {
    return storage.credentials(Clock.systemUTC());
  }

  SigningKeyStore signingKeys() throws CliException {
    if (config.jwks().isPresent()) {
      throw new CliException(ExitCodes.INVALID, "this installation verifies tokens only"
          + " (tokens.jwks is set); mint and rotate where the signing keys live");
    }
    return new SigningKeyStore(storage.kv(), storage.kek());
  }

  RevocationStore revocations() {
    return new RevocationStore(storage.kv());
  }

  AgentRegistry agents() {
    return new AgentRegistry(storage.kv());
  }

  @Override
  public void close() {
    storage.close();
  }
}
