package dev.keyward.proxy.console;

import dev.keyward.proxy.admin.CredentialJson;
import dev.keyward.proxy.admin.LocalOperations;
import dev.keyward.proxy.admin.OperationError;
import dev.keyward.proxy.admin.OperationException;
import dev.keyward.proxy.console.ConsoleRoutes.Done;
import dev.keyward.proxy.console.ConsoleRoutes.Page;
import dev.keyward.proxy.console.ConsoleRoutes.Visit;
import dev.keyward.vault.CredentialSpec;
import dev.keyward.vault.Injection;
import dev.keyward.vault.Secret;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Credentials: the list, one credential with its versions, and adding, rotating, rolling back,
 * disabling and enabling, each behind a confirmation. A key is typed once into a password field,
 * travels in the form body only, becomes a {@link Secret} without ever being a string, and is
 * never shown, logged or put in a response.
 */
public final class CredentialPages {

  /** How far back "last used" looks in the audit log. */
  static final Duration LAST_USED_WINDOW = Duration.ofDays(90);

  /** A line of the list. */
  public record Row(String tenant, String id, String provider, String injection,
      String domains, String models, int version, String lastUsed, boolean disabled,
      String href) {}

  /** The list. */
  public record ListView(List<Row> rows, String addHref) {}

  /** A version in a credential's history. */
  public record Version(int version, String createdBy, String createdAt, String note,
      boolean current, String rollbackHref) {}

  /** One credential. */
  public record DetailView(String tenant, String id, String provider, String injection,
      List<String> domains, List<String> models, int version, boolean disabled,
      List<Version> versions, String rotateHref, String disableHref, String enableHref) {}

  /** A hidden form field. */
  public record Hidden(String name, String text) {}

  /** A confirmation: what will happen, and the button that does it. */
  public record ConfirmView(String heading, List<String> consequences, String action,
      String button, boolean danger, List<Hidden> hidden, boolean askKey, String cancel) {}

  /** The add form's choices of where the key goes. */
  public record FormatChoice(String format, String label) {}

  /** The add form. */
  public record AddView(List<FormatChoice> formats) {}

  static final List<FormatChoice> FORMATS = List.of(
      new FormatChoice("provider", "The provider's own (Bearer; x-api-key for anthropic;"
          + " x-goog-api-key for google)"),
      new FormatChoice("bearer", "Authorization: Bearer <key>"),
      new FormatChoice("x-api-key", "x-api-key: <key>"),
      new FormatChoice("header", "Another header (name and template below)"),
      new FormatChoice("query", "A query parameter (name below)"));

  private final ConsoleRoutes routes;
  private final LocalOperations operations;

  CredentialPages(ConsoleRoutes routes, LocalOperations operations) {
    this.routes = routes;
    this.operations = operations;
  }

  void mount(Router router) {
    String base = Console.ROOT + "/credentials";
    String one = base + "/:tenant/:id";
    routes.page(router, base, this::list);
    routes.operatorPage(router, base + "/new",
        visit -> Page.of("credential-new", "Add a credential", "credentials",
            new AddView(FORMATS)));
    routes.change(router, base, "credential.create",
        (visit, form) -> "credential:" + orDefault(form.get("tenant")) + "/" + form.get("id"),
        visit -> Links.path("credentials", "new"), this::create);
    routes.page(router, one, this::detail);
    routes.operatorPage(router, one + "/rotate", visit -> confirm(visit, "Rotate",
        List.of("The key you enter becomes the next version; the current one stays in the"
            + " history for a roll-back.", "Calls use the new key as soon as it is stored."),
        "rotate", "Rotate the key", false, List.of(), true));
    routes.change(router, one + "/rotate", "credential.rotate", CredentialPages::resource,
        visit -> self(visit) + "/rotate", (visit, form) -> {
          JsonObject rotated = operations.rotateCredential(visit.param("tenant"),
              visit.param("id"), secret(form), visit.operator().name());
          return done(visit, "Rotated: version " + rotated.getInteger("version")
              + " is in use.");
        });
    routes.operatorPage(router, one + "/rollback", visit -> {
      long version = ConsoleRoutes.number(visit, "to");
      return confirm(visit, "Roll back", List.of("The key of version " + version
          + " becomes current again, stored as a new version.",
          "Calls use it as soon as it is stored."), "rollback", "Roll back to version "
          + version, true, List.of(new Hidden("to", Long.toString(version))), false);
    });
    routes.change(router, one + "/rollback", "credential.rollback", CredentialPages::resource,
        CredentialPages::self, (visit, form) -> {
          int version = version(form.get("to"));
          JsonObject rolled = operations.rollbackCredential(visit.param("tenant"),
              visit.param("id"), version, visit.operator().name());
          return done(visit, "Rolled back to the key of version " + version + ", now version "
              + rolled.getInteger("version") + ".");
        });
    routes.operatorPage(router, one + "/disable", visit -> confirm(visit, "Disable",
        List.of("Every call that would use this credential is refused"
            + " (credential_disabled) until it is enabled again.",
            "Its key and versions are kept."), "disable", "Disable the credential", true,
        List.of(), false));
    routes.change(router, one + "/disable", "credential.disable", CredentialPages::resource,
        CredentialPages::self, (visit, form) -> {
          operations.setCredentialDisabled(visit.param("tenant"), visit.param("id"), true,
              visit.operator().name());
          return done(visit, "Disabled: calls with this credential are refused.");
        });
    routes.operatorPage(router, one + "/enable", visit -> confirm(visit, "Enable",
        List.of("Calls may use this credential's current key again."), "enable",
        "Enable the credential", false, List.of(), false));
    routes.change(router, one + "/enable", "credential.enable", CredentialPages::resource,
        CredentialPages::self, (visit, form) -> {
          operations.setCredentialDisabled(visit.param("tenant"), visit.param("id"), false,
              visit.operator().name());
          return done(visit, "Enabled.");
        });
  }

  private Page list(Visit visit) throws OperationException {
    JsonArray all = operations.listCredentials(Optional.empty());
    Map<String, Instant> lastUsed = new HashMap<>();
    operations.forEachAuditEntry(routes.clock().instant().minus(LAST_USED_WINDOW), e -> {
      if ("request".equals(e.getString("type")) && "allowed".equals(e.getString("decision"))
          && !e.getString("credential", "").isEmpty()) {
        lastUsed.put(e.getString("tenant", "") + "/" + e.getString("credential"),
            Instant.parse(e.getString("time")));
      }
    });
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      JsonObject c = all.getJsonObject(i);
      String tenant = c.getString("tenant");
      String id = c.getString("id");
      rows.add(new Row(tenant, id, c.getString("provider"), c.getString("injection"),
          join(c.getJsonArray("allowed_domains")), join(c.getJsonArray("models")),
          c.getInteger("version"), Formats.time(lastUsed.get(tenant + "/" + id)),
          c.getBoolean("disabled"), Links.path("credentials", tenant, id)));
    }
    rows.sort(java.util.Comparator.comparing(Row::tenant).thenComparing(Row::id));
    return Page.of("credentials", "Credentials", "credentials",
        new ListView(rows, Links.path("credentials", "new")));
  }

  private Page detail(Visit visit) throws OperationException {
    String tenant = visit.param("tenant");
    String id = visit.param("id");
    JsonArray history = operations.credentialHistory(tenant, id);
    if (history.isEmpty()) {
      throw new OperationException(OperationError.NOT_FOUND, "no credential " + tenant + "/"
          + id);
    }
    JsonObject current = history.getJsonObject(history.size() - 1);
    int currentVersion = current.getInteger("version");
    String self = self(visit);
    List<Version> versions = new ArrayList<>();
    for (int i = history.size() - 1; i >= 0; i--) {
      JsonObject v = history.getJsonObject(i);
      int version = v.getInteger("version");
      versions.add(new Version(version, v.getString("created_by"),
          Formats.time(v.getString("created_at")), v.getString("note"),
          version == currentVersion, version == currentVersion ? null
              : self + "/rollback?to=" + version));
    }
    boolean disabled = current.getBoolean("disabled");
    return Page.of("credential", tenant + "/" + id, "credentials", new DetailView(tenant, id,
        current.getString("provider"), current.getString("injection"),
        strings(current.getJsonArray("allowed_domains")),
        strings(current.getJsonArray("models")), currentVersion, disabled, versions,
        self + "/rotate", disabled ? null : self + "/disable", disabled ? self + "/enable"
            : null));
  }

  private Done create(Visit visit, FormBody form) throws OperationException {
    CredentialSpec spec = spec(form);
    JsonObject created = operations.createCredential(spec, secret(form),
        visit.operator().name());
    return new Done("Added " + spec.tenant() + "/" + spec.id() + " (version "
        + created.getInteger("version") + "). Its key is stored and will not be shown.",
        Links.path("credentials", spec.tenant(), spec.id()));
  }

  /** The spec the add form describes. */
  static CredentialSpec spec(FormBody form) throws OperationException {
    String id = form.get("id").strip();
    String provider = form.get("provider").strip();
    String format = form.get("format").isEmpty() ? "provider" : form.get("format");
    String header = form.get("header").strip();
    String template = form.get("template").strip();
    String query = form.get("query_param").strip();
    try {
      Injection injection = switch (format) {
        case "provider" -> CredentialJson.injection(provider.isEmpty() ? id : provider, null,
            null, null, null, Map.of());
        case "bearer" -> Injection.header("Authorization", "Bearer " + Injection.PLACEHOLDER);
        case "x-api-key" -> Injection.header("x-api-key", Injection.PLACEHOLDER);
        case "header" -> Injection.header(required(header, "header name"),
            template.isEmpty() ? Injection.PLACEHOLDER : template);
        case "query" -> Injection.query(required(query, "query parameter"));
        default -> throw new IllegalArgumentException("unknown key format '" + format + "'");
      };
      List<String> domains = words(form.get("allowed_domains"));
      if (domains.isEmpty()) {
        throw new IllegalArgumentException("name at least one allowed domain");
      }
      return new CredentialSpec(orDefault(form.get("tenant")), required(id, "id"),
          provider.isEmpty() ? id : provider, injection, domains, words(form.get("models")),
          Map.of());
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new OperationException(OperationError.INVALID_REQUEST, "invalid credential: "
          + e.getMessage());
    }
  }

  private Page confirm(Visit visit, String verb, List<String> consequences, String action,
      String button, boolean danger, List<Hidden> hidden, boolean askKey) {
    String name = visit.param("tenant") + "/" + visit.param("id");
    return Page.of("confirm", verb + " " + name, "credentials", new ConfirmView(
        verb + " credential " + name + "?", consequences, self(visit) + "/" + action, button,
        danger, hidden, askKey, self(visit)));
  }

  /** The key typed in the form; the form destroys it when the change is done. */
  private static Secret secret(FormBody form) throws OperationException {
    return form.secret().orElseThrow(() -> new OperationException(
        OperationError.INVALID_REQUEST, "enter the key"));
  }

  private static Done done(Visit visit, String message) {
    return new Done(message, self(visit));
  }

  private static String resource(Visit visit, FormBody form) {
    return "credential:" + visit.param("tenant") + "/" + visit.param("id");
  }

  private static String self(Visit visit) {
    return Links.path("credentials", visit.param("tenant"), visit.param("id"));
  }

  private static int version(String text) throws OperationException {
    try {
      return Integer.parseInt(text.strip());
    } catch (NumberFormatException e) {
      throw new OperationException(OperationError.INVALID_REQUEST, "the version must be a"
          + " number");
    }
  }

  private static String required(String value, String name) {
    if (value.isEmpty()) {
      throw new IllegalArgumentException("the " + name + " is required");
    }
    return value;
  }

  private static String orDefault(String tenant) {
    return tenant.isBlank() ? "default" : tenant.strip();
  }

  /** Words separated by commas, spaces or line breaks. */
  static List<String> words(String text) {
    return Arrays.stream(text.split("[,\\s]+")).filter(w -> !w.isEmpty()).toList();
  }

  private static String join(JsonArray array) {
    return String.join(", ", strings(array));
  }

  private static List<String> strings(JsonArray array) {
    return array == null ? List.of() : array.stream().map(String::valueOf).toList();
  }
}
