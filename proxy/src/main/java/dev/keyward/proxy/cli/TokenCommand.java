package dev.keyward.proxy.cli;

import static dev.keyward.proxy.cli.CredentialCommand.print;

import dev.keyward.proxy.config.Durations;
import dev.keyward.token.Purpose;
import dev.keyward.token.SigningKeys;
import dev.keyward.token.Versioned;
import dev.keyward.vault.KvException;
import io.vertx.core.json.JsonObject;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code keyward token …}: platform tokens and their signing keys. */
@Command(name = "token", mixinStandardHelpOptions = true,
    description = "Platform tokens for agents, and the keys that sign them.",
    subcommands = {TokenCommand.Issue.class, TokenCommand.Revoke.class,
        TokenCommand.RotateSigningKey.class, TokenCommand.Jwks.class})
final class TokenCommand implements Runnable {

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(KeywardCommand.io(spec).err());
  }

  static SigningKeys currentKeys(Installation installation) throws CliException {
    try {
      Optional<Versioned<SigningKeys>> keys = installation.signingKeys().load();
      return keys.orElseThrow(() -> new CliException(ExitCodes.NOT_FOUND,
          "no signing keys yet; run `keyward dev` once or `keyward token rotate-signing-key`"))
          .value().prune(Instant.now());
    } catch (KvException | GeneralSecurityException e) {
      throw new CliException(ExitCodes.UNAVAILABLE, "cannot read the signing keys: " + e.getMessage());
    }
  }

  /** {@code keyward token issue}: mint a token directly with the installation's signing keys. */
  @Command(name = "issue", mixinStandardHelpOptions = true,
      description = "Mint a platform token for an agent and print it (only the token, unless --json).")
  static final class Issue implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Target target;

    @Option(names = "--agent", required = true, description = "Agent id (the token's sub).")
    String agent;

    @Option(names = "--tenant", required = true, description = "Tenant the agent belongs to.")
    String tenant;

    @Option(names = "--group", paramLabel = "GROUP", description = "Group of the agent; repeatable.")
    List<String> groups = new ArrayList<>();

    @Option(names = "--purpose", paramLabel = "PURPOSE",
        description = "conversation, heartbeat or subagent.")
    String purpose;

    @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "15m",
        description = "Lifetime, at most 1h (default: ${DEFAULT-VALUE}).")
    String ttl;

    @Option(names = "--json", description = "Print the token and its claims as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      Optional<Purpose> parsedPurpose = Optional.empty();
      Duration lifetime;
      try {
        if (purpose != null) {
          parsedPurpose = Optional.of(Purpose.fromClaim(purpose).orElseThrow(() ->
              new IllegalArgumentException("purpose must be conversation, heartbeat or subagent")));
        }
        lifetime = Durations.parse(ttl);
      } catch (IllegalArgumentException e) {
        throw new CliException(ExitCodes.INVALID, e.getMessage());
      }
      Optional<Purpose> chosen = parsedPurpose;
      JsonObject issued = target.run(ops -> ops.mintToken(agent, tenant, Set.copyOf(groups),
          chosen, lifetime));
      print(KeywardCommand.io(spec), json, issued, issued.getString("token"));
      return ExitCodes.OK;
    }
  }

  /** {@code keyward token revoke}: refuse one token from now on, on every replica. */
  @Command(name = "revoke", mixinStandardHelpOptions = true,
      description = "Revoke a token by its id (jti). Every replica refuses it within its refresh"
          + " interval (tokens.refresh_interval, default 5s).")
  static final class Revoke implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Target target;

    @Parameters(index = "0", paramLabel = "JTI", description = "The token's jti claim.")
    String jti;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      JsonObject result = target.run(ops -> ops.revokeToken(jti));
      print(KeywardCommand.io(spec), json, result, "Revoked token " + jti);
      return ExitCodes.OK;
    }
  }

  /** {@code keyward token rotate-signing-key}: new primary key; old ones verify until retired. */
  @Command(name = "rotate-signing-key", mixinStandardHelpOptions = true,
      description = "Add a new primary signing key (or create the first one). Tokens signed with"
          + " the previous key keep verifying until the longest token lifetime has passed, then"
          + " that key is dropped.")
  static final class RotateSigningKey implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Target target;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      JsonObject result = target.run(ops -> ops.rotateSigningKey());
      String kid = result.getString("primary_kid");
      print(KeywardCommand.io(spec), json, result, result.getBoolean("created_first_key")
          ? "Created the first signing key " + kid
          : "New primary signing key " + kid + "; " + result.getInteger("verifying_keys")
              + " keys verify (retired keys are dropped "
              + Durations.format(SigningKeys.RETENTION) + " after rotation)");
      return ExitCodes.OK;
    }
  }

  /** {@code keyward token jwks}: the public keys, for verify-only deployments. */
  @Command(name = "jwks", mixinStandardHelpOptions = true,
      description = "Print the public signing keys as a JWK set (for tokens.jwks elsewhere).")
  static final class Jwks implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Locations locations;

    @Override
    public Integer call() throws Exception {
      try (Installation installation = Installation.open(locations.load())) {
        KeywardCommand.io(spec).out().println(currentKeys(installation).publicKeys().jwks());
      }
      return ExitCodes.OK;
    }
  }

}
