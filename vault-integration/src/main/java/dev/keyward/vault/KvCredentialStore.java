package dev.keyward.vault;

import static dev.keyward.vault.CredentialStoreException.Reason.ALREADY_EXISTS;
import static dev.keyward.vault.CredentialStoreException.Reason.CONFLICT;
import static dev.keyward.vault.CredentialStoreException.Reason.CORRUPT;
import static dev.keyward.vault.CredentialStoreException.Reason.INVALID;
import static dev.keyward.vault.CredentialStoreException.Reason.NOT_FOUND;
import static dev.keyward.vault.CredentialStoreException.Reason.UNAVAILABLE;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyward.policies.Names;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The credential store over a {@link KvStore}: one KV path per credential ({@code
 * credentials/<tenant>/<id>}), one KV version per credential version, check-and-set on every write
 * so concurrent rotations both land as successive versions and none is lost.
 */
public abstract class KvCredentialStore implements CredentialStore {

  static final String ROOT = "credentials";
  /** Sealed with the spec bound into the associated data ({@link SealedSecret.Binding#SPEC}). */
  private static final String FORMAT = "keyward-credential/2";
  /** Sealed before the spec was bound: read with a warning until rewritten. */
  private static final String LEGACY_FORMAT = "keyward-credential/1";
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(
      KvCredentialStore.class);
  /** Legacy versions already warned about, so a cache refresh does not repeat it every 30 s. */
  private static final java.util.Set<String> WARNED =
      java.util.concurrent.ConcurrentHashMap.newKeySet();
  private static final int CAS_ATTEMPTS = 8;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};
  private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {};

  private final KvStore kv;
  private final Sealer sealer;
  private final Clock clock;

  protected KvCredentialStore(KvStore kv, Sealer sealer, Clock clock) {
    this.kv = kv;
    this.sealer = sealer;
    this.clock = clock;
  }

  static String path(String tenant, String id) {
    return ROOT + "/" + Names.require(tenant, "tenant") + "/" + Names.require(id, "credential");
  }

  @Override
  public CredentialMetadata create(CredentialSpec spec, Secret secret, String actor)
      throws CredentialStoreException {
    String path = path(spec.tenant(), spec.id());
    try {
      return writeVersion(path, spec, secret, actor, "", 0, Placeholders.generate());
    } catch (CasMismatchException e) {
      throw new CredentialStoreException(ALREADY_EXISTS, "credential " + spec.tenant() + "/"
          + spec.id() + " already exists; use rotate to change its secret");
    }
  }

  @Override
  public CredentialMetadata rotate(String tenant, String id, Secret secret, String actor)
      throws CredentialStoreException {
    // Each attempt seals its own copy: replace() destroys what the source hands it.
    return replace(tenant, id, actor, "", current -> secret.copy());
  }

  @Override
  public CredentialMetadata rollback(String tenant, String id, int version, String actor)
      throws CredentialStoreException {
    SealedCredential target = version(tenant, id, version);
    return replace(tenant, id, actor, "rollback to version " + version, current -> {
      try {
        return sealer.unseal(target);
      } catch (GeneralSecurityException e) {
        throw new CredentialStoreException(CORRUPT,
            "version " + version + " of " + tenant + "/" + id + " does not decrypt");
      }
    });
  }

  @Override
  public int rewrapAll(String actor) throws CredentialStoreException {
    int count = 0;
    for (String tenant : tenants()) {
      for (CredentialMetadata credential : list(tenant)) {
        replace(tenant, credential.id(), actor, "rewrap under the current KEK", current -> {
          try {
            return sealer.unseal(current);
          } catch (GeneralSecurityException e) {
            throw new CredentialStoreException(CORRUPT, "version " + current.metadata().version()
                + " of " + tenant + "/" + credential.id() + " does not decrypt");
          }
        });
        count++;
      }
    }
    return count;
  }

  /** Supplies the secret for one write attempt; the store destroys it after the attempt. */
  private interface SecretSource {
    Secret secretFor(SealedCredential current) throws CredentialStoreException;
  }

  /** Writes the next version with the current spec, retrying check-and-set races. */
  private CredentialMetadata replace(String tenant, String id, String actor, String note,
      SecretSource source) throws CredentialStoreException {
    String path = path(tenant, id);
    for (int attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      SealedCredential current = current(tenant, id);
      Secret secret = source.secretFor(current);
      try {
        String placeholder = current.metadata().placeholder();
        return writeVersion(path, current.metadata().spec(), secret, actor, note,
            current.metadata().version(),
            placeholder.isEmpty() ? Placeholders.generate() : placeholder);
      } catch (CasMismatchException e) {
        // Another writer got in first: read the new current version and try again.
      } finally {
        secret.destroy();
      }
    }
    throw new CredentialStoreException(CONFLICT, "too many concurrent writes to " + tenant + "/" + id);
  }

  /** Writes version {@code cas + 1}; the placeholder is carried from version to version. */
  private CredentialMetadata writeVersion(String path, CredentialSpec spec, Secret secret,
      String actor, String note, int cas, String placeholder)
      throws CredentialStoreException, CasMismatchException {
    int version = cas + 1;
    Instant now = clock.instant();
    SealedSecret sealed;
    try {
      sealed = sealer.seal(secret, spec, version);
    } catch (GeneralSecurityException e) {
      throw new CredentialStoreException(UNAVAILABLE, "cannot seal the secret: the KEK is unusable", e);
    }
    Map<String, String> data = new HashMap<>();
    data.put("format", FORMAT);
    data.put("provider", spec.provider());
    data.put("injection", json(InjectionJson.of(spec.injection())));
    data.put("allowed_domains", json(spec.allowedDomains()));
    data.put("models", json(spec.models()));
    data.put("labels", json(spec.labels()));
    data.put("created_by", actor);
    data.put("created_at", now.toString());
    data.put("note", note);
    data.put("placeholder", placeholder);
    data.put("wrapped_key", Base64.getEncoder().encodeToString(sealed.wrappedKey()));
    data.put("ciphertext", Base64.getEncoder().encodeToString(sealed.ciphertext()));
    try {
      int written = kv.write(path, data, cas);
      if (written != version) {
        // The backend numbered it differently than check-and-set promised: the seal is bound to
        // the wrong version and would never decrypt. Refuse loudly rather than store it.
        throw new CredentialStoreException(CORRUPT, "store wrote version " + written + " for "
            + path + ", expected " + version);
      }
    } catch (CasMismatchException e) {
      throw e;
    } catch (KvException e) {
      throw unavailable(e);
    }
    return new CredentialMetadata(spec, version, actor, now, false, note, placeholder);
  }

  @Override
  public SealedCredential current(String tenant, String id) throws CredentialStoreException {
    return read(tenant, id, 0);
  }

  @Override
  public SealedCredential version(String tenant, String id, int version)
      throws CredentialStoreException {
    if (version < 1) {
      throw new CredentialStoreException(INVALID, "versions start at 1");
    }
    return read(tenant, id, version);
  }

  private SealedCredential read(String tenant, String id, int version)
      throws CredentialStoreException {
    String path = path(tenant, id);
    try {
      Optional<KvStore.Metadata> metadata = kv.metadata(path);
      if (metadata.isEmpty()) {
        throw notFound(tenant, id);
      }
      Optional<KvStore.Document> document = kv.read(path, version);
      if (document.isEmpty()) {
        throw new CredentialStoreException(NOT_FOUND, version == 0
            ? "the current version of " + tenant + "/" + id + " was destroyed"
            : "version " + version + " of " + tenant + "/" + id + " does not exist or was destroyed");
      }
      boolean disabled = "true".equals(metadata.get().custom().get("disabled"));
      return decode(tenant, id, document.get(), disabled);
    } catch (KvException e) {
      throw unavailable(e);
    }
  }

  @Override
  public List<CredentialMetadata> list(String tenant) throws CredentialStoreException {
    List<CredentialMetadata> out = new ArrayList<>();
    try {
      for (String name : kv.list(ROOT + "/" + Names.require(tenant, "tenant"))) {
        if (!name.endsWith("/")) {
          try {
            out.add(current(tenant, name).metadata());
          } catch (CredentialStoreException e) {
            if (e.reason() != NOT_FOUND) {
              throw e;
            }
          }
        }
      }
    } catch (KvException e) {
      throw unavailable(e);
    }
    return out;
  }

  @Override
  public List<String> tenants() throws CredentialStoreException {
    try {
      return kv.list(ROOT).stream().filter(n -> n.endsWith("/"))
          .map(n -> n.substring(0, n.length() - 1)).toList();
    } catch (KvException e) {
      throw unavailable(e);
    }
  }

  @Override
  public List<CredentialMetadata> history(String tenant, String id) throws CredentialStoreException {
    String path = path(tenant, id);
    try {
      KvStore.Metadata metadata = kv.metadata(path).orElseThrow(() -> notFound(tenant, id));
      boolean disabled = "true".equals(metadata.custom().get("disabled"));
      List<CredentialMetadata> out = new ArrayList<>();
      for (int version : metadata.liveVersions()) {
        Optional<KvStore.Document> document = kv.read(path, version);
        if (document.isPresent()) {
          out.add(decode(tenant, id, document.get(), disabled).metadata());
        }
      }
      return out;
    } catch (KvException e) {
      throw unavailable(e);
    }
  }

  @Override
  public void setDisabled(String tenant, String id, boolean disabled, String actor)
      throws CredentialStoreException {
    String path = path(tenant, id);
    try {
      KvStore.Metadata metadata = kv.metadata(path).orElseThrow(() -> notFound(tenant, id));
      Map<String, String> custom = new HashMap<>(metadata.custom());
      custom.put("disabled", Boolean.toString(disabled));
      custom.put("disabled_changed_by", actor);
      custom.put("disabled_changed_at", clock.instant().toString());
      kv.putCustomMetadata(path, custom);
    } catch (KvException e) {
      throw unavailable(e);
    }
  }

  @Override
  public void destroyVersion(String tenant, String id, int version, String actor)
      throws CredentialStoreException {
    String path = path(tenant, id);
    try {
      KvStore.Metadata metadata = kv.metadata(path).orElseThrow(() -> notFound(tenant, id));
      if (version == metadata.currentVersion()) {
        throw new CredentialStoreException(INVALID, "version " + version + " is current; rotate or"
            + " roll back first, then destroy it");
      }
      if (!metadata.liveVersions().contains(version)) {
        throw new CredentialStoreException(NOT_FOUND,
            "version " + version + " of " + tenant + "/" + id + " does not exist or was destroyed");
      }
      kv.destroy(path, version);
    } catch (KvException e) {
      throw unavailable(e);
    }
  }

  private static SealedCredential decode(String tenant, String id, KvStore.Document document,
      boolean disabled) throws CredentialStoreException {
    Map<String, String> d = document.data();
    boolean legacy = LEGACY_FORMAT.equals(d.get("format"));
    if (!FORMAT.equals(d.get("format")) && !legacy) {
      throw new CredentialStoreException(CORRUPT,
          "version " + document.version() + " of " + tenant + "/" + id + " is not a Keyward credential");
    }
    if (legacy && WARNED.add(tenant + "/" + id + "#" + document.version())) {
      LOG.warn("credential {}/{} version {} was stored before its spec was bound to its"
          + " ciphertext: its allowed domains, injection and provider are not authenticated."
          + " Its next write (rotate, or `keyward kek rotate`) stores it in the current format",
          tenant, id, document.version());
    }
    try {
      CredentialSpec spec = new CredentialSpec(tenant, id, d.get("provider"),
          JSON.readValue(d.get("injection"), InjectionJson.class).toInjection(),
          JSON.readValue(d.get("allowed_domains"), STRINGS),
          JSON.readValue(d.get("models"), STRINGS),
          JSON.readValue(d.get("labels"), STRING_MAP));
      CredentialMetadata metadata = new CredentialMetadata(spec, document.version(),
          d.get("created_by"), Instant.parse(d.get("created_at")), disabled,
          d.getOrDefault("note", ""), d.getOrDefault("placeholder", ""));
      SealedSecret sealed = new SealedSecret(Base64.getDecoder().decode(d.get("wrapped_key")),
          Base64.getDecoder().decode(d.get("ciphertext")),
          legacy ? SealedSecret.Binding.LEGACY_ID_VERSION : SealedSecret.Binding.SPEC);
      return new SealedCredential(metadata, sealed);
    } catch (IOException | RuntimeException e) {
      throw new CredentialStoreException(CORRUPT,
          "version " + document.version() + " of " + tenant + "/" + id + " cannot be read");
    }
  }

  private static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static CredentialStoreException notFound(String tenant, String id) {
    return new CredentialStoreException(NOT_FOUND, "no credential " + tenant + "/" + id);
  }

  private static CredentialStoreException unavailable(KvException e) {
    return new CredentialStoreException(UNAVAILABLE, "credential store unavailable: " + e.getMessage(), e);
  }
}
