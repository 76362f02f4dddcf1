package dev.keyward.token;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeyStatus;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.jwt.JwtEcdsaParameters;
import com.google.crypto.tink.jwt.JwtSignaturePrivateKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The token signing keyset: Tink JWT ES256 keys, each with a {@code kid}. Rotation adds a new
 * primary and keeps the previous public keys for verification until every token they signed has
 * expired ({@link #RETENTION}), then drops them and remembers their ids as retired.
 *
 * <p>Serialised as JSON with the keyset encrypted under a key-encryption key ({@link Aead}); the
 * private keys never touch disk in the clear. Immutable: rotation returns a new instance.
 */
public final class SigningKeys {

  /** How long a rotated-out key still verifies: the longest token lifetime plus clock skew. */
  public static final Duration RETENTION = TokenIssuer.MAX_TTL.plus(TokenVerifier.MAX_CLOCK_SKEW);

  static final JwtEcdsaParameters ES256;
  private static final byte[] ASSOCIATED_DATA =
      "keyward/token-signing-keys".getBytes(StandardCharsets.UTF_8);
  private static final String FORMAT = "keyward-signing-keys/1";
  private static final int MAX_REMEMBERED_RETIRED = 256;
  private static final ObjectMapper JSON = new ObjectMapper()
      .registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  static {
    Tinks.ensureRegistered();
    try {
      ES256 = JwtEcdsaParameters.builder()
          .setAlgorithm(JwtEcdsaParameters.Algorithm.ES256)
          .setKidStrategy(JwtEcdsaParameters.KidStrategy.BASE64_ENCODED_KEY_ID)
          .build();
    } catch (GeneralSecurityException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** When each key was added and, once a newer primary exists, when it stopped signing. */
  record KeyRecord(
      @JsonProperty("kid") String kid,
      @JsonProperty("key_id") int keyId,
      @JsonProperty("added_at") Instant addedAt,
      @JsonProperty("retired_at") Instant retiredAt) {}

  record Stored(
      @JsonProperty("format") String format,
      @JsonProperty("keyset") String keyset,
      @JsonProperty("keys") List<KeyRecord> keys,
      @JsonProperty("retired_kids") List<String> retiredKids) {

    /** Without the (encrypted) keyset. */
    @Override
    public String toString() {
      return "Stored[format=" + format + ", keyset=****, keys=" + keys + "]";
    }
  }

  private final KeysetHandle keyset;
  private final List<KeyRecord> keys;
  private final Set<String> retiredKids;

  private SigningKeys(KeysetHandle keyset, List<KeyRecord> keys, Set<String> retiredKids) {
    this.keyset = keyset;
    this.keys = List.copyOf(keys);
    this.retiredKids = Set.copyOf(retiredKids);
  }

  /** A new keyset with one fresh ES256 key. */
  public static SigningKeys generate(Instant now) throws GeneralSecurityException {
    KeysetHandle keyset = KeysetHandle.generateNew(ES256);
    return new SigningKeys(keyset, List.of(record(keyset.getPrimary(), now)), Set.of());
  }

  /**
   * Adds a new primary key; the previous primary keeps verifying for {@link #RETENTION}. Keys
   * retired longer ago than that are dropped.
   */
  public SigningKeys rotate(Instant now) throws GeneralSecurityException {
    KeysetHandle.Builder builder = KeysetHandle.newBuilder(keyset);
    builder.addEntry(KeysetHandle.generateEntryFromParameters(ES256).withRandomId().makePrimary());
    KeysetHandle rotated = builder.build();
    List<KeyRecord> records = new ArrayList<>();
    for (KeyRecord key : keys) {
      records.add(key.retiredAt() == null ? new KeyRecord(key.kid(), key.keyId(), key.addedAt(), now)
          : key);
    }
    records.add(record(rotated.getPrimary(), now));
    return new SigningKeys(rotated, records, retiredKids).prune(now);
  }

  /** Drops keys that were retired more than {@link #RETENTION} before {@code now}. */
  public SigningKeys prune(Instant now) throws GeneralSecurityException {
    List<KeyRecord> kept = new ArrayList<>();
    Set<String> retired = new LinkedHashSet<>(retiredKids);
    for (KeyRecord key : keys) {
      if (key.retiredAt() != null && !now.isBefore(key.retiredAt().plus(RETENTION))) {
        retired.add(key.kid());
      } else {
        kept.add(key);
      }
    }
    if (kept.size() == keys.size()) {
      return this;
    }
    Set<Integer> keepIds = new LinkedHashSet<>();
    kept.forEach(k -> keepIds.add(k.keyId()));
    KeysetHandle.Builder builder = KeysetHandle.newBuilder(keyset);
    for (int i = keyset.size() - 1; i >= 0; i--) {
      if (!keepIds.contains(keyset.getAt(i).getId())) {
        builder.deleteAt(i);
      }
    }
    List<String> remembered = new ArrayList<>(retired);
    if (remembered.size() > MAX_REMEMBERED_RETIRED) {
      remembered = remembered.subList(remembered.size() - MAX_REMEMBERED_RETIRED, remembered.size());
    }
    return new SigningKeys(builder.build(), kept, new LinkedHashSet<>(remembered));
  }

  /** The public keys, for the verifier and for JWKS. */
  public PublicKeys publicKeys() {
    try {
      return new PublicKeys(keyset.getPublicKeysetHandle(), retiredKids);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("signing keyset has no public keys", e);
    }
  }

  /** The kid new tokens are signed with. */
  public String primaryKid() {
    return kid(keyset.getPrimary());
  }

  /** Number of keys that still verify (the primary and those within retention). */
  public int size() {
    return keys.size();
  }

  KeysetHandle privateKeyset() {
    return keyset;
  }

  /** JSON with the keyset encrypted under {@code kek}. */
  public String toJson(Aead kek) throws GeneralSecurityException {
    String encrypted = TinkJsonProtoKeysetFormat.serializeEncryptedKeyset(keyset, kek, ASSOCIATED_DATA);
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(
          new Stored(FORMAT, encrypted, keys, List.copyOf(retiredKids)));
    } catch (IOException e) {
      throw new IllegalStateException("cannot write signing keys as JSON", e);
    }
  }

  /**
   * Reads keys written by {@link #toJson}.
   *
   * @throws GeneralSecurityException when the keyset does not decrypt under {@code kek}, or the
   *     document is not a Keyward signing-key file
   */
  public static SigningKeys fromJson(String json, Aead kek) throws GeneralSecurityException {
    Stored stored;
    try {
      stored = JSON.readValue(json, Stored.class);
    } catch (IOException e) {
      throw new GeneralSecurityException("not a Keyward signing-key document");
    }
    if (!FORMAT.equals(stored.format()) || stored.keyset() == null || stored.keys() == null) {
      throw new GeneralSecurityException("not a Keyward signing-key document (" + FORMAT + ")");
    }
    KeysetHandle keyset =
        TinkJsonProtoKeysetFormat.parseEncryptedKeyset(stored.keyset(), kek, ASSOCIATED_DATA);
    for (int i = 0; i < keyset.size(); i++) {
      KeysetHandle.Entry entry = keyset.getAt(i);
      if (entry.getStatus() != KeyStatus.ENABLED
          || !(entry.getKey() instanceof JwtSignaturePrivateKey)
          || !ES256.equals(entry.getKey().getParameters())) {
        throw new GeneralSecurityException("signing keyset holds a key that is not ES256");
      }
    }
    List<String> retired = stored.retiredKids() == null ? List.of() : stored.retiredKids();
    return new SigningKeys(keyset, stored.keys(), new LinkedHashSet<>(retired));
  }

  private static KeyRecord record(KeysetHandle.Entry entry, Instant now) {
    return new KeyRecord(kid(entry), entry.getId(), now, null);
  }

  private static String kid(KeysetHandle.Entry entry) {
    JwtSignaturePrivateKey key = (JwtSignaturePrivateKey) entry.getKey();
    return Objects.requireNonNull(key.getPublicKey().getKid().orElse(null), "kid");
  }
}
