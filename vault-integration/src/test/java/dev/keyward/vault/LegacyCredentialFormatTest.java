package dev.keyward.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkProtoKeysetFormat;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Credentials stored before the spec was bound into the associated data ({@code
 * keyward-credential/1}, bound to {@code tenant|id|version} only) still work, with a warning, and
 * are moved to the current format by their next write.
 */
class LegacyCredentialFormatTest {

  static final String SECRET = "sk-legacy-format-secret-0123456789";

  @TempDir
  Path dir;

  FileKvStore kv;
  Aead kek;
  Sealer sealer;
  FileCredentialStore store;
  ListAppender<ILoggingEvent> logs = new ListAppender<>();

  @BeforeEach
  void setUp() throws Exception {
    LocalKek.create(dir.resolve("kek.json"));
    kek = LocalKek.load(dir.resolve("kek.json"));
    sealer = new Sealer(kek);
    kv = new FileKvStore(dir.resolve("store"), Clock.systemUTC());
    store = new FileCredentialStore(kv, sealer, Clock.systemUTC());
    logs.start();
    ((Logger) LoggerFactory.getLogger("dev.keyward")).addAppender(logs);
  }

  @AfterEach
  void tearDown() {
    ((Logger) LoggerFactory.getLogger("dev.keyward")).detachAppender(logs);
  }

  /** Writes version 1 exactly as Keyward did before: format 1, bound to tenant|id|version. */
  void writeLegacyVersion() throws Exception {
    byte[] ad = "keyward/credential/v1|acme|legacy|1".getBytes(StandardCharsets.UTF_8);
    KeysetHandle dataKey = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM);
    byte[] ciphertext = dataKey.getPrimitive(RegistryConfiguration.get(), Aead.class)
        .encrypt(SECRET.getBytes(StandardCharsets.US_ASCII), ad);
    byte[] wrapped = TinkProtoKeysetFormat.serializeEncryptedKeyset(dataKey, kek, ad);
    Map<String, String> data = new HashMap<>();
    data.put("format", "keyward-credential/1");
    data.put("provider", "openrouter");
    data.put("injection", "{\"location\":\"header\",\"name\":\"Authorization\","
        + "\"template\":\"Bearer {secret}\",\"extra_headers\":{}}");
    data.put("allowed_domains", "[\"*.openrouter.ai\"]");
    data.put("models", "[]");
    data.put("labels", "{}");
    data.put("created_by", "alice");
    data.put("created_at", Instant.now().toString());
    data.put("note", "");
    data.put("wrapped_key", Base64.getEncoder().encodeToString(wrapped));
    data.put("ciphertext", Base64.getEncoder().encodeToString(ciphertext));
    kv.write("credentials/acme/legacy", data, 0);
  }

  String unsealed(SealedCredential credential) throws Exception {
    try (Secret s = sealer.unseal(credential)) {
      return s.text(InsecureSecretAccess.get());
    }
  }

  @Test
  void aCredentialInTheOldFormatStillUnsealsAndKeywardWarnsThatItsSpecIsUnbound()
      throws Exception {
    writeLegacyVersion();
    assertEquals(SECRET, unsealed(store.current("acme", "legacy")));
    assertTrue(logs.list.stream().anyMatch(e -> e.getLevel() == Level.WARN
        && e.getFormattedMessage().contains("acme/legacy")
        && e.getFormattedMessage().contains("version 1")), logs.list.toString());
    assertTrue(logs.list.stream().noneMatch(e -> e.getFormattedMessage().contains(SECRET)));
  }

  @Test
  void theNextWriteStoresTheCurrentFormat() throws Exception {
    writeLegacyVersion();
    store.rotate("acme", "legacy", Secret.copyOf("sk-new".getBytes(StandardCharsets.US_ASCII)),
        "bob");
    assertEquals("keyward-credential/2", kv.read("credentials/acme/legacy", 2).orElseThrow()
        .data().get("format"));
    assertEquals(SECRET, unsealed(store.version("acme", "legacy", 1)));
  }

  @Test
  void aCredentialStoredWithoutAPlaceholderGetsOneAtItsNextWrite() throws Exception {
    writeLegacyVersion();
    assertEquals("", store.current("acme", "legacy").metadata().placeholder());
    store.rotate("acme", "legacy", Secret.copyOf("sk-new".getBytes(StandardCharsets.US_ASCII)),
        "bob");
    assertTrue(Placeholders.isPlaceholder(store.current("acme", "legacy").metadata()
        .placeholder()));
  }
}
