package dev.keyward.proxy.cli;

import dev.keyward.proxy.audit.AuditKeys;
import dev.keyward.proxy.forwardproxy.ForwardProxyCa;
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
          + " current version of every credential, the token signing keys and every instance's"
          + " audit signing key under it. Older versions stay decryptable until the Transit key's"
          + " min_decryption_version is raised.")
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
        // Everything else sealed under the KEK: each instance's audit signing key.
        int auditKeys = AuditKeys.rewrapAll(installation.storage().kv(),
            installation.storage().kek());
        // And the forward proxy's CA key, once it exists.
        boolean caKey = ForwardProxyCa.rewrap(installation.storage().kv(),
            installation.storage().kek());
        CredentialCommand.print(io, json, new JsonObject().put("rewrapped_credentials", count)
            .put("rewrapped_signing_keys", installation.config().jwks().isEmpty())
            .put("rewrapped_audit_keys", auditKeys)
            .put("rewrapped_forward_proxy_ca", caKey),
            "Rotated the KEK; rewrapped " + count + " credential" + (count == 1 ? "" : "s")
                + (installation.config().jwks().isEmpty() ? ", the signing keys" : "")
                + (caKey ? ", the forward proxy's CA key" : "")
                + " and " + auditKeys + " audit signing key" + (auditKeys == 1 ? "" : "s"));
        return ExitCodes.OK;
      } catch (CredentialStoreException e) {
        throw new CliException(ExitCodes.of(e.reason()), e.getMessage());
      } catch (KvException | IOException | GeneralSecurityException e) {
        throw new CliException(ExitCodes.UNAVAILABLE, "KEK rotation failed: " + e.getMessage());
      }
    }
  }
}
