package dev.keyward.vault;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * How a credential is written into the upstream request: a header whose value is a template around
 * the secret ({@code Authorization: Bearer {secret}}), HTTP Basic credentials ({@code
 * Authorization: Basic base64(user:secret)}, as git over HTTPS sends a token), or a query
 * parameter; plus fixed extra headers (e.g. {@code anthropic-version}).
 *
 * @param location {@link Location#HEADER}, {@link Location#BASIC} or {@link Location#QUERY}
 * @param name header or query-parameter name
 * @param template the value, containing {@link #PLACEHOLDER} exactly once; for Basic credentials
 *     {@code user:{secret}}
 * @param extraHeaders fixed headers to set as well; never secret
 */
public record Injection(Location location, String name, String template,
    Map<String, String> extraHeaders) {

  public static final String PLACEHOLDER = "{secret}";
  private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}");

  /** Where the secret goes. */
  public enum Location {
    HEADER,
    /** A header whose value is {@code Basic base64(template)}: the template is {@code user:{secret}}. */
    BASIC,
    QUERY
  }

  public Injection {
    Objects.requireNonNull(location, "location");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(template, "template");
    if (!TOKEN.matcher(name).matches()) {
      throw new IllegalArgumentException("invalid " + location.name().toLowerCase(Locale.ROOT)
          + " name '" + name + "'");
    }
    int at = template.indexOf(PLACEHOLDER);
    if (at < 0 || template.indexOf(PLACEHOLDER, at + 1) >= 0) {
      throw new IllegalArgumentException("the template must contain " + PLACEHOLDER + " exactly once");
    }
    if (location == Location.BASIC && (!template.endsWith(":" + PLACEHOLDER)
        || template.indexOf(':') != template.length() - PLACEHOLDER.length() - 1)) {
      throw new IllegalArgumentException("Basic credentials are 'user:" + PLACEHOLDER
          + "', with no ':' in the user");
    }
    for (int i = 0; i < template.length(); i++) {
      char c = template.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        throw new IllegalArgumentException("the template must not contain control characters");
      }
    }
    Map<String, String> extras = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    extraHeaders.forEach((k, v) -> {
      if (!TOKEN.matcher(k).matches() || v.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
        throw new IllegalArgumentException("invalid extra header '" + k + "'");
      }
      extras.put(k, v);
    });
    extraHeaders = Map.copyOf(extras);
    if (location != Location.QUERY && extras.containsKey(name)) {
      throw new IllegalArgumentException("extra header '" + name + "' clashes with the credential header");
    }
  }

  /** {@code Authorization: Bearer {secret}}: OpenAI, OpenRouter, MiniMax and most others. */
  public static Injection bearer() {
    return header("Authorization", "Bearer " + PLACEHOLDER);
  }

  public static Injection header(String name, String template) {
    return new Injection(Location.HEADER, name, template, Map.of());
  }

  /** {@code Authorization: Basic base64(user:secret)}. */
  public static Injection basic(String user) {
    return new Injection(Location.BASIC, "Authorization", user + ":" + PLACEHOLDER, Map.of());
  }

  public static Injection query(String name) {
    return new Injection(Location.QUERY, name, PLACEHOLDER, Map.of());
  }

  public Injection withExtraHeaders(Map<String, String> extras) {
    return new Injection(location, name, template, extras);
  }

  /**
   * The conventional injection for a provider: Anthropic takes {@code x-api-key} plus {@code
   * anthropic-version}; Google takes {@code x-goog-api-key}; everyone else a Bearer token.
   */
  public static Injection forProvider(String provider) {
    return switch (provider) {
      case "anthropic" -> header("x-api-key", PLACEHOLDER)
          .withExtraHeaders(Map.of("anthropic-version", "2023-06-01"));
      case "google", "gemini" -> header("x-goog-api-key", PLACEHOLDER);
      default -> bearer();
    };
  }

  /** True when the secret goes into a header (as a template or Basic credentials). */
  public boolean inHeader() {
    return location != Location.QUERY;
  }

  /** The value with the secret in place: the header value, or the query parameter's. */
  public String render(String secret) {
    String value = template.replace(PLACEHOLDER, secret);
    if (location == Location.BASIC) {
      return "Basic " + java.util.Base64.getEncoder().encodeToString(
          value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    return value;
  }
}
