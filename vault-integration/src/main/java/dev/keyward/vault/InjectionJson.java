package dev.keyward.vault;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Locale;
import java.util.Map;

/** The stored JSON form of an {@link Injection}. */
record InjectionJson(
    @JsonProperty("location") String location,
    @JsonProperty("name") String name,
    @JsonProperty("template") String template,
    @JsonProperty("extra_headers") Map<String, String> extraHeaders) {

  static InjectionJson of(Injection injection) {
    return new InjectionJson(injection.location().name().toLowerCase(Locale.ROOT), injection.name(),
        injection.template(), injection.extraHeaders());
  }

  Injection toInjection() {
    return new Injection(Injection.Location.valueOf(location.toUpperCase(Locale.ROOT)), name, template,
        extraHeaders == null ? Map.of() : extraHeaders);
  }
}
