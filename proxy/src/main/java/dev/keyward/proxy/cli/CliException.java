package dev.keyward.proxy.cli;

/** Ends a command with a message for the user and an exit code from {@link ExitCodes}. */
final class CliException extends Exception {

  private final int exitCode;

  CliException(int exitCode, String message) {
    super(message, null, false, false);
    this.exitCode = exitCode;
  }

  int exitCode() {
    return exitCode;
  }
}
