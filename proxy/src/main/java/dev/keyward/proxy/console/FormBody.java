package dev.keyward.proxy.console;

import dev.keyward.vault.Secret;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A form the console received ({@code application/x-www-form-urlencoded}), decoded here rather
 * than by Vert.x so that the one secret field (a provider key being stored) is never a {@link
 * String}: its bytes are decoded straight into a {@link Secret}, and every buffer that held them
 * is overwritten. Other fields are UTF-8 text; a field given twice keeps its first value.
 */
public final class FormBody implements AutoCloseable {

  /** The name of the field that carries a provider key. */
  public static final String SECRET = "secret";

  private final Map<String, String> fields;
  private final Secret secret;

  private FormBody(Map<String, String> fields, Secret secret) {
    this.fields = fields;
    this.secret = secret;
  }

  /**
   * Decodes {@code body} and overwrites it.
   *
   * @throws IllegalArgumentException for a malformed percent-escape or a secret that is empty
   */
  public static FormBody parse(byte[] body) {
    Map<String, String> fields = new HashMap<>();
    Secret secret = null;
    try {
      int start = 0;
      while (start <= body.length) {
        int end = indexOf(body, (byte) '&', start);
        if (end > start) {
          int eq = indexOf(body, (byte) '=', start);
          int nameEnd = eq >= 0 && eq < end ? eq : end;
          String name = new String(decode(body, start, nameEnd), StandardCharsets.UTF_8);
          int valueStart = Math.min(nameEnd + 1, end);
          if (name.equals(SECRET)) {
            byte[] value = decode(body, valueStart, end);
            try {
              int from = 0;
              int to = value.length;
              while (from < to && isSpace(value[from])) {
                from++; // a key pasted with the line break or spaces around it
              }
              while (to > from && isSpace(value[to - 1])) {
                to--;
              }
              if (secret == null && to > from) {
                byte[] trimmed = Arrays.copyOfRange(value, from, to);
                try {
                  secret = Secret.copyOf(trimmed);
                } finally {
                  Arrays.fill(trimmed, (byte) 0);
                }
              }
            } finally {
              Arrays.fill(value, (byte) 0);
            }
          } else {
            fields.putIfAbsent(name,
                new String(decode(body, valueStart, end), StandardCharsets.UTF_8));
          }
        }
        start = end + 1;
      }
      return new FormBody(Map.copyOf(fields), secret);
    } catch (RuntimeException e) {
      if (secret != null) {
        secret.close();
      }
      throw e;
    } finally {
      Arrays.fill(body, (byte) 0);
    }
  }

  /** A text field, empty when absent. */
  public String get(String name) {
    return fields.getOrDefault(name, "");
  }

  /** The secret field, when one was sent; the caller closes it (or this form does). */
  public Optional<Secret> secret() {
    return Optional.ofNullable(secret);
  }

  @Override
  public void close() {
    if (secret != null) {
      secret.close();
    }
  }

  private static boolean isSpace(byte b) {
    return b == ' ' || b == '\t' || b == '\r' || b == '\n';
  }

  private static int indexOf(byte[] bytes, byte b, int from) {
    for (int i = from; i < bytes.length; i++) {
      if (bytes[i] == b) {
        return i;
      }
    }
    return bytes.length;
  }

  /** Percent- and plus-decodes {@code bytes[start, end)}; no copy of the result is left behind. */
  private static byte[] decode(byte[] bytes, int start, int end) {
    byte[] out = new byte[Math.max(0, end - start)];
    int n = 0;
    try {
      for (int i = start; i < end; i++) {
        byte b = bytes[i];
        if (b == '+') {
          out[n++] = ' ';
        } else if (b == '%') {
          if (i + 2 >= end) {
            throw new IllegalArgumentException("a form field ends in the middle of a %-escape");
          }
          int hi = Character.digit(bytes[i + 1], 16);
          int lo = Character.digit(bytes[i + 2], 16);
          if (hi < 0 || lo < 0) {
            throw new IllegalArgumentException("a form field has an invalid %-escape");
          }
          out[n++] = (byte) (hi * 16 + lo);
          i += 2;
        } else {
          out[n++] = b;
        }
      }
      return Arrays.copyOf(out, n);
    } finally {
      Arrays.fill(out, (byte) 0);
    }
  }
}
