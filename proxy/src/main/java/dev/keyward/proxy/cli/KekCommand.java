package dev.keyward.proxy.cli;

import dev.keyward.vault.CredentialStoreException;
import dev.keyward.vault.KvException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code keyward kek …}: the key-encryption key. */
@Command(name = "kek", mixinStandardHelpOptions = true,
    description = "The key-encryption key that wraps every credential's data key.",
    subcommands = {KekCommand.Rotate.class})
final class KekCommand implements Runnable {

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(KeywardCommand.io(spec).err());
  }

  /** {@code keyward kek rotate}: new KEK version, every credential rewrapped under it. */
  @Command(name = "rotate", mixinStandardHelpOptions = true,
      description = "Add a new KEK version (local keyset or Vault Transit), then re-seal the"
          + " current version of every credential and the token signing keys under it. Older"
          + " versions stay decryptable.")
  static final class Rotate implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Locations locations;

    @Option(names = "--actor", description = "Who is doing this (default: the OS user).")
    String actor;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      Io io = KeywardCommand.io(spec);
      try (Installation installation = Installation.open(locations.load())) {
        installation.storage().rotateKek();
        int count = installation.credentialStore().rewrapAll(Target.actor(actor));
        if (installation.config().jwks().isEmpty()) {
          installation.signingKeys().rewrap();
        }
        CredentialCommand.print(io, json, new JsonObject().put("rewrapped_credentials", count)
            .put("rewrapped_signing_keys", installation.config().jwks().isEmpty()),
            "Rotated the KEK; rewrapped " + count + " credential" + (count == 1 ? "" : "s")
                + (installation.config().jwks().isEmpty() ? " and the signing keys" : ""));
        return ExitCodes.OK;
      } catch (CredentialStoreException e) {
        throw new CliException(ExitCodes.of(e.reason()), e.getMessage());
      } catch (KvException | IOException | GeneralSecurityException e) {
        throw new CliException(ExitCodes.UNAVAILABLE, "KEK rotation failed: " + e.getMessage());
      }
    }
  }
}
