package dev.keyward.proxy.admin;

import dev.keyward.vault.CredentialMetadata;
import dev.keyward.vault.CredentialSpec;
import dev.keyward.vault.Injection;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Credentials as JSON: metadata out (never the secret), specs in. */
public final class CredentialJson {

  private CredentialJson() {}

  /** {@code Authorization: Bearer <secret>}, {@code query parameter key}, … for people. */
  public static String describe(Injection injection) {
    String where = switch (injection.location()) {
      case HEADER -> injection.name() + ": " + injection.template();
      case BASIC -> injection.name() + ": Basic base64(" + injection.template() + ")";
      case QUERY -> "query parameter " + injection.name();
    };
    return where.replace(Injection.PLACEHOLDER, "<secret>");
  }

  public static JsonObject toJson(CredentialMetadata m) {
    return new JsonObject()
        .put("tenant", m.tenant())
        .put("id", m.id())
        .put("version", m.version())
        .put("provider", m.spec().provider())
        .put("injection", describe(m.spec().injection()))
        .put("allowed_domains", new JsonArray(m.spec().allowedDomains()))
        .put("models", new JsonArray(m.spec().models()))
        .put("created_by", m.createdBy())
        .put("created_at", m.createdAt().toString())
        .put("disabled", m.disabled())
        .put("note", m.note())
        .put("placeholder", m.placeholder());
  }

  /**
   * The injection for a provider, optionally overridden: a header (with a template, default
   * {@code {secret}}), Basic credentials with a user, or a query parameter; plus fixed extra
   * headers.
   */
  public static Injection injection(String provider, String header, String template,
      String queryParam, String basicUser, Map<String, String> extraHeaders) {
    Injection base;
    if (basicUser != null) {
      if (header != null || template != null || queryParam != null) {
        throw new IllegalArgumentException("Basic credentials take a user only: no header,"
            + " template or query parameter");
      }
      base = Injection.basic(basicUser);
    } else if (queryParam != null) {
      if (header != null) {
        throw new IllegalArgumentException("use either a header or a query parameter, not both");
      }
      base = Injection.query(queryParam);
    } else if (header != null) {
      base = Injection.header(header, template == null ? Injection.PLACEHOLDER : template);
    } else {
      base = Injection.forProvider(provider);
      if (template != null) {
        base = Injection.header(base.name(), template).withExtraHeaders(base.extraHeaders());
      }
    }
    if (extraHeaders.isEmpty()) {
      return base;
    }
    Map<String, String> extras = new LinkedHashMap<>(base.extraHeaders());
    extras.putAll(extraHeaders);
    return base.withExtraHeaders(extras);
  }

  /**
   * A spec from the admin API's JSON: {@code tenant}, {@code id}, {@code allowed_domains}, and
   * optionally {@code provider}, {@code models}, {@code header}, {@code template}, {@code
   * query_param}, {@code extra_headers}.
   */
  public static CredentialSpec spec(JsonObject json) {
    String id = json.getString("id");
    String provider = json.getString("provider", id);
    Map<String, String> extras = new LinkedHashMap<>();
    JsonObject extraJson = json.getJsonObject("extra_headers", new JsonObject());
    extraJson.forEach(e -> extras.put(e.getKey(), String.valueOf(e.getValue())));
    Injection injection = injection(provider, json.getString("header"), json.getString("template"),
        json.getString("query_param"), json.getString("basic_user"), extras);
    return new CredentialSpec(json.getString("tenant", "default"), id, provider, injection,
        strings(json.getJsonArray("allowed_domains")), strings(json.getJsonArray("models")),
        Map.of());
  }

  /** The spec as the admin API takes it (the inverse of {@link #spec}). */
  public static JsonObject toRequest(CredentialSpec spec) {
    Injection injection = spec.injection();
    JsonObject json = new JsonObject()
        .put("tenant", spec.tenant())
        .put("id", spec.id())
        .put("provider", spec.provider())
        .put("allowed_domains", new JsonArray(spec.allowedDomains()))
        .put("models", new JsonArray(spec.models()));
    if (injection.location() == Injection.Location.QUERY) {
      json.put("query_param", injection.name());
    } else if (injection.location() == Injection.Location.BASIC) {
      String template = injection.template();
      json.put("basic_user", template.substring(0, template.indexOf(':')));
    } else {
      json.put("header", injection.name()).put("template", injection.template());
    }
    JsonObject extras = new JsonObject();
    injection.extraHeaders().forEach(extras::put);
    return json.put("extra_headers", extras);
  }

  private static List<String> strings(JsonArray array) {
    if (array == null) {
      return List.of();
    }
    return array.stream().map(String::valueOf).toList();
  }
}
