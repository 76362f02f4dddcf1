package dev.keyward.proxy.leaks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.vault.Secret;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A record's generated {@code toString} prints every component: one that holds a secret would
 * print it into the first log line or exception message that mentions it. This scans every record
 * of every module's main code: a record with a component that may hold a secret (by its name or
 * its type) must declare its own {@code toString}, unless it is listed below with the reason its
 * components are not secret after all.
 */
class SecretHoldersTest {

  static final List<String> MODULES =
      List.of("policies", "vault-integration", "token-issuer", "llm", "proxy");

  /** Component names that may hold a secret: a key, a token, a password, headers, raw data. */
  static final Pattern SECRET_NAME = Pattern.compile(
      "(?i).*(secret|token|password|passwd|apikey|plaintext|jwt|headers|keyset|wrappedkey"
          + "|ciphertext)$|^(?i)(key|value|query|data)$");
  /**
   * Component types that may hold a secret. ({@code Secret} is not one: it prints stars, see
   * {@link #aSecretPrintsNoneOfItsBytes}.)
   */
  static final Set<String> SECRET_TYPES =
      Set.of("io.vertx.core.MultiMap", "dev.keyward.policies.Target", "[B");

  /** Records whose flagged components hold no secret, and why. */
  static final Map<String, String> NOT_SECRET = Map.ofEntries(
      Map.entry("dev.keyward.policies.Route", "its upstream Target is the policy's base URL"),
      Map.entry("dev.keyward.policies.RouteTarget", "its upstream is the policy's base URL"),
      Map.entry("dev.keyward.policies.DecisionRequest", "the agent's Target, before injection"),
      Map.entry("dev.keyward.policies.YamlTree$Field", "a node of the policy document"),
      Map.entry("dev.keyward.proxy.config.KeywardConfig$AdminTls", "paths to the TLS files"),
      Map.entry("dev.keyward.proxy.config.ConfigFile$VaultAuth", "paths to token and secret files"),
      Map.entry("dev.keyward.proxy.config.ConfigFile$Tokens", "the JWK set's path, the issuer"),
      Map.entry("dev.keyward.proxy.config.ConfigFile$Transit", "the name of the Transit key"),
      Map.entry("dev.keyward.proxy.config.StorageConfig$Transit", "the name of the Transit key"),
      Map.entry("dev.keyward.vault.VaultSettings$TokenAuth", "the path of the token file"),
      Map.entry("dev.keyward.vault.Injection", "its extra headers are the spec's fixed headers"),
      Map.entry("dev.keyward.vault.InjectionJson", "the stored form of Injection"),
      Map.entry("dev.keyward.token.Versioned", "wraps a value that prints itself"),
      Map.entry("dev.keyward.llm.budget.Window", "the key of a budget window, e.g. 2026-12"),
      Map.entry("dev.keyward.proxy.budget.LedgerFiles$StoredCounter", "a budget counter"));

  static Map<Class<?>, Path> records() throws IOException {
    Map<Class<?>, Path> records = new HashMap<>();
    for (String module : MODULES) {
      Path classes = Path.of("..", module, "target", "classes");
      if (!Files.isDirectory(classes)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(classes)) {
        for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
          String name = classes.relativize(file).toString().replace('/', '.')
              .replaceAll("\\.class$", "");
          try {
            Class<?> type = Class.forName(name, false, SecretHoldersTest.class.getClassLoader());
            if (type.isRecord()) {
              records.put(type, file);
            }
          } catch (ClassNotFoundException | LinkageError e) {
            // not on this module's test class path: not scanned here
          }
        }
      }
    }
    return records;
  }

  static boolean mayHoldASecret(RecordComponent component) {
    if (component.getType() == Secret.class) {
      return false; // prints stars
    }
    return SECRET_NAME.matcher(component.getName()).matches()
        || SECRET_TYPES.contains(component.getType().getName());
  }

  /**
   * True when the record writes its own {@code toString}. The generated one is an invokedynamic
   * call site named {@code toString} with the descriptor {@code (LRecord;)Ljava/lang/String;},
   * which only the generated method puts in the class file's constant pool.
   */
  static boolean declaresToString(Path classFile, Class<?> type) throws IOException {
    String generated = "(L" + type.getName().replace('.', '/') + ";)Ljava/lang/String;";
    byte[] bytes = Files.readAllBytes(classFile);
    return !new String(bytes, StandardCharsets.ISO_8859_1).contains(generated);
  }

  @Test
  void aSecretPrintsNoneOfItsBytes() {
    try (Secret secret = Secret.copyOf("sk-secret-holders".getBytes(StandardCharsets.US_ASCII))) {
      assertFalse(secret.toString().contains("sk-secret-holders"), secret.toString());
    }
  }

  @Test
  void everyRecordThatMayHoldASecretPrintsItselfWithoutIt() throws Exception {
    Map<Class<?>, Path> records = records();
    assertTrue(records.size() > 50, "the scan found too few records: " + records.size());
    List<String> unsafe = new ArrayList<>();
    for (Map.Entry<Class<?>, Path> record : records.entrySet()) {
      Class<?> type = record.getKey();
      List<String> flagged = Stream.of(type.getRecordComponents())
          .filter(SecretHoldersTest::mayHoldASecret).map(RecordComponent::getName).toList();
      if (!flagged.isEmpty() && !declaresToString(record.getValue(), type)
          && !NOT_SECRET.containsKey(type.getName())) {
        unsafe.add(type.getName() + " " + flagged);
      }
    }
    unsafe.sort(null);
    assertEquals(List.of(), unsafe, "records whose generated toString may print a secret");
  }
}
