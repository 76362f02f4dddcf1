package dev.keyward.proxy.cli;

import dev.keyward.proxy.admin.AdminClient;
import dev.keyward.proxy.admin.AppliedHere;
import dev.keyward.proxy.admin.LocalOperations;
import dev.keyward.proxy.admin.OperationException;
import dev.keyward.proxy.admin.Operations;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.Optional;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Where an operator command runs: through a running Keyward's admin API ({@code --admin-url},
 * audited under the operator token's identity), or directly on the installation's store ({@code
 * --config} / {@code --data-dir}: the embedded default, or break-glass access to Vault).
 */
final class Target {

  static final String TOKEN_ENV = "KEYWARD_OPERATOR_TOKEN";

  @Mixin
  Locations locations;

  @Option(names = "--admin-url", paramLabel = "URL", defaultValue = "${env:KEYWARD_ADMIN_URL}",
      description = "Run through this admin API, e.g. http://127.0.0.1:8081 (default:"
          + " $KEYWARD_ADMIN_URL; unset: work on the store directly).")
  URI adminUrl;

  @Option(names = "--admin-ca", paramLabel = "FILE", defaultValue = "${env:KEYWARD_ADMIN_CA}",
      description = "PEM CA certificate(s) to trust for an https admin URL (default:"
          + " $KEYWARD_ADMIN_CA, else the JDK's).")
  Path adminCa;

  @Option(names = "--insecure",
      description = "Allow a plain http:// admin URL of a host other than loopback (the operator"
          + " token and secrets then cross the network unencrypted).")
  boolean insecure;

  @Option(names = "--operator-token-file", paramLabel = "FILE",
      description = "File holding the operator token for the admin API (default: the "
          + TOKEN_ENV + " environment variable).")
  Path tokenFile;

  /** One operation, on whichever side the command line chose. */
  interface Call<T> {
    T run(Operations operations) throws OperationException;
  }

  boolean remote() {
    return adminUrl != null;
  }

  /**
   * Runs {@code call}; failures become exit codes. Directly on the store, {@code actor} names who
   * acts (the admin API ignores it and records the operator token's name instead).
   */
  <T> T run(Call<T> call) throws CliException {
    if (remote()) {
      try (Operations operations = new AdminClient(adminUrl, token(), Optional.ofNullable(adminCa),
          insecure)) {
        return call.run(operations);
      } catch (OperationException e) {
        throw fail(e);
      } catch (IllegalArgumentException e) {
        throw new CliException(ExitCodes.USAGE, e.getMessage());
      } catch (IOException | GeneralSecurityException e) {
        throw new CliException(ExitCodes.INVALID, "cannot use --admin-ca " + adminCa + ": "
            + e.getMessage());
      }
    }
    return onStore(locations, call);
  }

  /** Runs {@code call} directly on the installation's store. */
  static <T> T onStore(Locations locations, Call<T> call) throws CliException {
    try (Installation installation = Installation.open(locations.load())) {
      return call.run(new LocalOperations(installation.config(), installation.storage(),
          Optional.empty(), AppliedHere.NOTHING, Optional.empty(), Clock.systemUTC()));
    } catch (OperationException e) {
      throw fail(e);
    }
  }

  static String actor(String given) {
    if (given != null) {
      return given;
    }
    String user = System.getProperty("user.name");
    return user == null || user.isBlank() ? "operator" : user;
  }

  private String token() throws CliException {
    String token;
    if (tokenFile != null) {
      try {
        token = Files.readString(tokenFile, StandardCharsets.UTF_8).trim();
      } catch (IOException e) {
        throw new CliException(ExitCodes.INVALID, "cannot read --operator-token-file "
            + tokenFile + ": " + e.getMessage());
      }
    } else {
      token = System.getenv(TOKEN_ENV);
    }
    if (token == null || token.isBlank()) {
      throw new CliException(ExitCodes.DENIED, "the admin API needs an operator token: set "
          + TOKEN_ENV + " or pass --operator-token-file (mint one with `keyward operator token`)");
    }
    return token;
  }

  private static CliException fail(OperationException e) {
    return new CliException(ExitCodes.of(e.status()), e.getMessage());
  }
}
