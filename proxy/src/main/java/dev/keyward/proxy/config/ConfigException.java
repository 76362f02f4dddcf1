package dev.keyward.proxy.config;

/** The configuration cannot be used; the message names the file, the setting and the fix. */
public final class ConfigException extends Exception {

  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
