package dev.keyward.vault;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The SHA-256 of a credential's spec in one canonical form ({@code keyward-credential-spec/1}): a
 * JSON array of the fields in a fixed order, maps sorted by key, lists in their stored order. A
 * change to any field, or to the order of the allowed domains, changes it. The form is part of the
 * stored format: changing it makes every credential unreadable.
 */
final class SpecDigest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String FORM = "keyward-credential-spec/1";

  private SpecDigest() {}

  static String of(CredentialSpec spec) {
    Injection injection = spec.injection();
    Map<String, Object> injectionFields = new LinkedHashMap<>();
    injectionFields.put("location", injection.location().name().toLowerCase(Locale.ROOT));
    injectionFields.put("name", injection.name());
    injectionFields.put("template", injection.template());
    injectionFields.put("extra_headers", sortedLowercaseKeys(injection.extraHeaders()));
    List<Object> canonical = List.of(FORM, spec.tenant(), spec.id(), spec.provider(),
        injectionFields, spec.allowedDomains(), spec.models(), new TreeMap<>(spec.labels()));
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest(JSON.writeValueAsString(canonical).getBytes(StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(digest);
    } catch (JsonProcessingException | NoSuchAlgorithmException e) {
      throw new IllegalStateException("cannot digest a credential spec", e);
    }
  }

  /** Header names are case-insensitive: {@code Anthropic-Version} and {@code anthropic-version}
   * are the same header, and the stored form may use either. */
  private static Map<String, String> sortedLowercaseKeys(Map<String, String> headers) {
    Map<String, String> sorted = new TreeMap<>();
    headers.forEach((k, v) -> sorted.put(k.toLowerCase(Locale.ROOT), v));
    return sorted;
  }
}
