package dev.keyward.vault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyward.policies.Names;
import io.github.jopenlibs.vault.json.Json;
import io.github.jopenlibs.vault.json.JsonArray;
import io.github.jopenlibs.vault.json.JsonObject;
import io.github.jopenlibs.vault.response.LogicalResponse;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@link KvStore} on Vault's KV v2 engine through the Vault Java Driver. Speaks the documented KV
 * v2 HTTP API with explicit paths ({@code <mount>/data/…}, {@code …/metadata/…}, {@code
 * …/destroy/…}) under a configurable prefix, using KV v2's own version numbers and its
 * check-and-set option. Response bodies are parsed here; they never reach an exception message.
 */
public final class VaultKvStore implements KvStore {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final VaultSession session;
  private final String mount;
  private final String prefix;
  private final Clock clock;

  /**
   * @param mount the KV v2 mount, e.g. {@code secret}
   * @param prefix the folder under it, e.g. {@code keyward}; every path Keyward writes is below it
   */
  public VaultKvStore(VaultSession session, String mount, String prefix) {
    this(session, mount, prefix, Clock.systemUTC());
  }

  /** @param clock tells a past {@code deletion_time} (deleted) from a future one (live) */
  public VaultKvStore(VaultSession session, String mount, String prefix, Clock clock) {
    this.session = session;
    this.mount = checkedFolder(mount, "vault KV mount");
    this.prefix = checkedFolder(prefix, "vault KV prefix");
    this.clock = clock;
  }

  @Override
  public Optional<Document> read(String path, int version) throws KvException {
    String api = api("data", path);
    String url = api + (version > 0 ? "?version=" + version : "");
    return session.call("KV read of " + path, vault -> {
      LogicalResponse response = vault.logical().read(url);
      int status = status(response, "KV read of " + path, api, "read");
      if (status == 404) {
        return Optional.empty();
      }
      JsonNode data = body(response).path("data");
      JsonNode values = data.path("data");
      if (!values.isObject()) {
        return Optional.empty(); // deleted or destroyed version
      }
      JsonNode metadata = data.path("metadata");
      return Optional.of(new Document(metadata.path("version").asInt(), strings(values),
          Instant.parse(metadata.path("created_time").asText())));
    });
  }

  @Override
  public Optional<Metadata> metadata(String path) throws KvException {
    String api = api("metadata", path);
    return session.call("KV metadata read of " + path, vault -> {
      LogicalResponse response = vault.logical().read(api);
      if (status(response, "KV metadata read of " + path, api, "read") == 404) {
        return Optional.empty();
      }
      JsonNode data = body(response).path("data");
      List<Integer> live = new ArrayList<>();
      Iterator<Map.Entry<String, JsonNode>> versions = data.path("versions").fields();
      while (versions.hasNext()) {
        Map.Entry<String, JsonNode> entry = versions.next();
        JsonNode info = entry.getValue();
        boolean deleted = isPast(info.path("deletion_time").asText(""));
        if (!info.path("destroyed").asBoolean(false) && !deleted) {
          live.add(Integer.parseInt(entry.getKey()));
        }
      }
      live.sort(null);
      JsonNode custom = data.path("custom_metadata");
      return Optional.of(new Metadata(data.path("current_version").asInt(),
          custom.isObject() ? strings(custom) : Map.of(), live));
    });
  }

  @Override
  public int write(String path, Map<String, String> data, int cas) throws KvException {
    JsonObject values = Json.object();
    data.forEach(values::add);
    Map<String, Object> body = Map.of("options", Json.object().add("cas", cas), "data", values);
    String api = api("data", path);
    // KV v2's existence check: writing a path that exists needs update, a new one create.
    String capability = cas == 0 ? "create" : "update";
    return session.call("KV write of " + path, vault -> {
      LogicalResponse response = vault.logical().write(api, body);
      int status = response.getRestResponse().getStatus();
      if (status == 400 && VaultSession.errorStrings(response).contains("check-and-set")) {
        throw new CasMismatchException(path, cas);
      }
      expect(status, 200, "KV write of " + path, api, capability);
      return body(response).path("data").path("version").asInt();
    });
  }

  @Override
  public void putCustomMetadata(String path, Map<String, String> custom) throws KvException {
    JsonObject values = Json.object();
    custom.forEach(values::add);
    String api = api("metadata", path);
    session.call("KV metadata write of " + path, vault -> {
      LogicalResponse response = vault.logical().write(api, Map.of("custom_metadata", values));
      expect(response.getRestResponse().getStatus(), 204, "KV metadata write of " + path, api,
          "update");
      return null;
    });
  }

  @Override
  public void destroy(String path, int version) throws KvException {
    String api = api("destroy", path);
    session.call("KV destroy of " + path, vault -> {
      LogicalResponse response = vault.logical().write(api,
          Map.of("versions", new JsonArray().add(version)));
      expect(response.getRestResponse().getStatus(), 204, "KV destroy of " + path, api, "update");
      return null;
    });
  }

  @Override
  public List<String> list(String folder) throws KvException {
    String trimmed = folder.endsWith("/") ? folder.substring(0, folder.length() - 1) : folder;
    String url = trimmed.isEmpty() ? mount + "/metadata/" + prefix : api("metadata", trimmed);
    return session.call("KV list of " + folder, vault -> {
      LogicalResponse response = vault.logical().list(url);
      if (status(response, "KV list of " + folder, url, "list") == 404) {
        return List.of();
      }
      List<String> keys = new ArrayList<>();
      body(response).path("data").path("keys").forEach(k -> keys.add(k.asText()));
      keys.sort(null);
      return keys;
    });
  }

  /**
   * KV v2 sets a deletion time on every version when {@code delete_version_after} is configured:
   * a version is deleted once that time has passed, not while it is still ahead.
   */
  private boolean isPast(String deletionTime) {
    if (deletionTime.isEmpty()) {
      return false;
    }
    try {
      return !Instant.parse(deletionTime).isAfter(clock.instant());
    } catch (java.time.format.DateTimeParseException e) {
      return true; // unreadable: treat as deleted rather than serve a version Vault may refuse
    }
  }

  private String api(String kind, String path) throws KvException {
    for (String segment : path.split("/", -1)) {
      if (!Names.isValid(segment)) {
        throw new KvException("invalid path segment in " + path);
      }
    }
    return mount + "/" + kind + "/" + prefix + "/" + path;
  }

  /** 200 or 404 pass; 403 is for the session to judge (expired token or denial); else fails. */
  private static int status(LogicalResponse response, String what, String api, String capability)
      throws KvException {
    int status = response.getRestResponse().getStatus();
    if (status == 200 || status == 404) {
      return status;
    }
    if (status == 403) {
      throw new VaultSession.PermissionDeniedException(what, api, capability);
    }
    throw VaultSession.failure(what, status);
  }

  private static void expect(int status, int wanted, String what, String api, String capability)
      throws KvException {
    if (status == 403) {
      throw new VaultSession.PermissionDeniedException(what, api, capability);
    }
    if (status != wanted && status != 200 && status != 204) {
      throw VaultSession.failure(what, status);
    }
  }

  private static JsonNode body(LogicalResponse response) throws KvException {
    try {
      return JSON.readTree(response.getRestResponse().getBody());
    } catch (IOException e) {
      throw new KvException("Vault answered with a body that is not JSON");
    }
  }

  private static Map<String, String> strings(JsonNode object) {
    Map<String, String> out = new HashMap<>();
    object.fields().forEachRemaining(e -> out.put(e.getKey(),
        e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString()));
    return out;
  }

  private static String checkedFolder(String value, String what) {
    for (String segment : value.split("/", -1)) {
      if (!Names.isValid(segment)) {
        throw new IllegalArgumentException(what + " '" + value + "' must be /-separated names: "
            + Names.RULE);
      }
    }
    return value;
  }
}
