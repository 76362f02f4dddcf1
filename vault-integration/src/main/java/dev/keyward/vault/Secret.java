package dev.keyward.vault;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

/**
 * A plaintext BYOK key. Reading it needs a {@link SecretAccess}; printing it prints stars;
 * comparison is constant-time; {@link #destroy()} zeroes the bytes once the request is done.
 */
public final class Secret implements AutoCloseable {

  /** Keys longer than this are refused; no provider issues them. */
  public static final int MAX_LENGTH = 8 * 1024;

  private final byte[] bytes;

  private Secret(byte[] bytes) {
    this.bytes = bytes;
  }

  /**
   * Copies {@code bytes} into a new secret.
   *
   * @throws IllegalArgumentException when empty, too long, or containing characters that cannot go
   *     into an HTTP header (control characters, spaces at the ends)
   */
  public static Secret copyOf(byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes");
    if (bytes.length == 0 || bytes.length > MAX_LENGTH) {
      throw new IllegalArgumentException("a secret must be 1 to " + MAX_LENGTH + " bytes");
    }
    for (byte b : bytes) {
      if (b < 0x21 || b == 0x7f) {
        throw new IllegalArgumentException(
            "a secret must be printable ASCII without spaces (it goes into an HTTP header)");
      }
    }
    return new Secret(bytes.clone());
  }

  /** Takes ownership of {@code bytes} (no copy); for unsealing, where the array is fresh. */
  static Secret wrap(byte[] bytes) {
    return new Secret(bytes);
  }

  /** A copy of the key bytes. */
  public byte[] bytes(SecretAccess access) {
    Objects.requireNonNull(access, "access");
    return bytes.clone();
  }

  /** The key as text, for writing into a header or query parameter. */
  public String text(SecretAccess access) {
    Objects.requireNonNull(access, "access");
    return new String(bytes, StandardCharsets.US_ASCII);
  }

  /** An independent copy; destroying one leaves the other intact. */
  Secret copy() {
    return new Secret(bytes.clone());
  }

  byte[] rawBytes() {
    return bytes;
  }

  public int length() {
    return bytes.length;
  }

  /** Constant-time comparison. */
  public boolean equalsSecret(Secret other) {
    return MessageDigest.isEqual(bytes, other.bytes);
  }

  /** Overwrites the bytes with zeros; the secret is unusable afterwards. */
  public void destroy() {
    Arrays.fill(bytes, (byte) 0);
  }

  @Override
  public void close() {
    destroy();
  }

  @Override
  public String toString() {
    return "Secret(****)";
  }
}
