package dev.keyward.policies;

import java.util.Objects;

/**
 * Where a request goes: scheme, normalised host, port, normalised path and the raw query (which is
 * forwarded but never logged). Built only by {@link Targets} and {@link Route}, so every instance
 * has passed normalisation.
 */
public record Target(String scheme, String host, int port, String path, String query) {

  public Target {
    Objects.requireNonNull(scheme, "scheme");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(path, "path");
  }

  public boolean isHttps() {
    return scheme.equals("https");
  }

  /** {@code host} or {@code host:port} when the port is not the scheme's default. */
  public String authority() {
    return port == Targets.defaultPort(scheme) ? host : host + ":" + port;
  }

  /** The request target to send upstream: the path, and the query if there is one. */
  public String pathAndQuery() {
    return query == null ? path : path + "?" + query;
  }

  /** For logs and audit: never includes the query string. */
  @Override
  public String toString() {
    return scheme + "://" + authority() + path;
  }
}
