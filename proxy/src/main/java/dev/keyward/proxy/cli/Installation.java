package dev.keyward.proxy.cli;

import com.google.crypto.tink.Aead;
import dev.keyward.proxy.config.KeywardConfig;
import dev.keyward.token.SigningKeys;
import dev.keyward.vault.CredentialStore;
import dev.keyward.vault.FileCredentialStore;
import dev.keyward.vault.LocalKek;
import dev.keyward.vault.Sealer;
import java.io.IOException;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.time.Clock;

/** Opens the parts of an installation the CLI works on directly: KEK, store, signing keys. */
final class Installation {

  private final KeywardConfig config;
  private final Aead kek;

  private Installation(KeywardConfig config, Aead kek) {
    this.config = config;
    this.kek = kek;
  }

  static Installation open(KeywardConfig config) throws CliException {
    try {
      return new Installation(config, LocalKek.load(config.localKek()));
    } catch (IOException | GeneralSecurityException e) {
      throw new CliException(ExitCodes.UNAVAILABLE,
          "cannot load the KEK " + config.localKek() + ": " + e.getMessage());
    }
  }

  KeywardConfig config() {
    return config;
  }

  CredentialStore credentialStore() throws CliException {
    try {
      return new FileCredentialStore(config.fileStore(), new Sealer(kek), Clock.systemUTC());
    } catch (IOException e) {
      throw new CliException(ExitCodes.UNAVAILABLE, "cannot open the credential store "
          + config.fileStore() + ": " + e.getMessage());
    }
  }

  SigningKeys signingKeys() throws CliException {
    if (config.signingKeys().isEmpty()) {
      throw new CliException(ExitCodes.INVALID, "this installation verifies tokens only"
          + " (tokens.jwks); mint tokens where tokens.signing_keys is configured");
    }
    try {
      return SigningKeys.fromJson(Files.readString(config.signingKeys().get()), kek);
    } catch (IOException | GeneralSecurityException e) {
      throw new CliException(ExitCodes.UNAVAILABLE, "cannot load the signing keys: " + e.getMessage());
    }
  }
}
