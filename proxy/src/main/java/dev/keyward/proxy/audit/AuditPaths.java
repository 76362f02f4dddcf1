package dev.keyward.proxy.audit;

import java.util.regex.Pattern;

/**
 * The path as audited. An agent can put anything in its request path, a token included (by mistake
 * or to smuggle it out); the audit trail must not keep one. Whatever looks like a JWT or a Keyward
 * agent secret is replaced with {@code [REDACTED]}. (The upstream still gets the path as sent: it
 * is the agent's request.)
 */
public final class AuditPaths {

  private static final Pattern SECRET_SHAPED = Pattern.compile(
      "eyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]*" // a JWS, e.g. a platform token
          + "|kwa_[A-Za-z0-9_-]{16,}"); // an agent secret

  private AuditPaths() {}

  public static String scrub(String path) {
    if (path.indexOf("eyJ") < 0 && path.indexOf("kwa_") < 0) {
      return path; // the common case costs two scans, no regex
    }
    return SECRET_SHAPED.matcher(path).replaceAll("[REDACTED]");
  }
}
