package dev.keyward.token;

import com.google.crypto.tink.jwt.JwtSignatureConfig;
import java.security.GeneralSecurityException;

/** Tink needs its JWT key managers registered once per process before keys are made or used. */
final class Tinks {

  static {
    try {
      JwtSignatureConfig.register();
    } catch (GeneralSecurityException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private Tinks() {}

  /** Makes sure the registration above has run. */
  static void ensureRegistered() {}
}
