package dev.keyward.vault;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Placeholders: what an agent behind the forward proxy holds instead of a credential's key, e.g.
 * {@code GITHUB_TOKEN=kw_ph_…}. Random (160 bits), with a prefix that is easy to recognise, the
 * same for every version of the credential. Not a secret: it grants nothing by itself. Keyward
 * swaps it for the key only on requests from an agent granted the credential, to the credential's
 * own hosts; anywhere else it is just a string.
 */
public final class Placeholders {

  public static final String PREFIX = "kw_ph_";
  private static final int LENGTH = 32;
  private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
  private static final Pattern PLACEHOLDER = Pattern.compile(PREFIX + "[a-z2-7]{" + LENGTH + "}");
  private static final SecureRandom RANDOM = new SecureRandom();

  private Placeholders() {}

  /** A new placeholder: the prefix and 32 base32 characters. */
  public static String generate() {
    StringBuilder out = new StringBuilder(PREFIX.length() + LENGTH).append(PREFIX);
    for (int i = 0; i < LENGTH; i++) {
      out.append(ALPHABET[RANDOM.nextInt(ALPHABET.length)]);
    }
    return out.toString();
  }

  public static boolean isPlaceholder(String text) {
    return PLACEHOLDER.matcher(text).matches();
  }

  /** Every placeholder in {@code text}, in order. */
  public static List<String> findIn(String text) {
    if (text.indexOf(PREFIX) < 0) {
      return List.of();
    }
    List<String> found = new ArrayList<>(1);
    Matcher matcher = PLACEHOLDER.matcher(text);
    while (matcher.find()) {
      found.add(matcher.group());
    }
    return found;
  }
}
