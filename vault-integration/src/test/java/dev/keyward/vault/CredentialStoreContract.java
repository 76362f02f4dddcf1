package dev.keyward.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link CredentialStore} must do. Each implementation's test extends this and says how
 * to make a fresh store and how to rotate its KEK.
 */
abstract class CredentialStoreContract {

  static final String TENANT = "acme";
  static final String SECRET_1 = "sk-or-v1-contract-secret-one-0123456789";
  static final String SECRET_2 = "sk-or-v1-contract-secret-two-9876543210";

  protected CredentialStore store;
  protected Sealer sealer;

  /** A store over a fresh, empty backend; also sets {@link #sealer} to the store's sealer. */
  protected abstract CredentialStore newStore() throws Exception;

  /** Rotates the KEK the store's sealer uses (new primary, old keys still decrypt). */
  protected abstract void rotateKek() throws Exception;

  @BeforeEach
  void createStore() throws Exception {
    store = newStore();
  }

  static Secret secret(String text) {
    return Secret.copyOf(text.getBytes(StandardCharsets.US_ASCII));
  }

  static CredentialSpec spec(String id) {
    return new CredentialSpec(TENANT, id, "openrouter", Injection.bearer(), List.of("*.openrouter.ai"),
        List.of(), Map.of("team", "platform"));
  }

  String unsealed(SealedCredential credential) throws GeneralSecurityException {
    try (Secret s = sealer.unseal(credential)) {
      return s.text(InsecureSecretAccess.get());
    }
  }

  @Test
  void createStoresVersionOneThatUnsealsToTheSecret() throws Exception {
    CredentialMetadata created = store.create(spec("openrouter"), secret(SECRET_1), "alice");
    assertEquals(1, created.version());
    SealedCredential current = store.current(TENANT, "openrouter");
    assertEquals(1, current.metadata().version());
    assertEquals("alice", current.metadata().createdBy());
    assertEquals(SECRET_1, unsealed(current));
  }

  @Test
  void eachCredentialGetsItsOwnPlaceholderWhichEveryVersionKeeps() throws Exception {
    String placeholder = store.create(spec("openrouter"), secret(SECRET_1), "alice").placeholder();
    assertTrue(Placeholders.isPlaceholder(placeholder), placeholder);
    assertFalse(placeholder.equals(store.create(spec("other"), secret(SECRET_2), "alice")
        .placeholder()));
    assertEquals(placeholder, store.rotate(TENANT, "openrouter", secret(SECRET_2), "bob")
        .placeholder());
    assertEquals(placeholder, store.rollback(TENANT, "openrouter", 1, "carol").placeholder());
    assertEquals(placeholder, store.current(TENANT, "openrouter").metadata().placeholder());
    assertEquals(placeholder, store.version(TENANT, "openrouter", 1).metadata().placeholder());
  }

  @Test
  void basicCredentialsAreStoredAndReadBack() throws Exception {
    CredentialSpec git = new CredentialSpec(TENANT, "git", "github",
        Injection.basic("x-access-token"), List.of("github.com"), List.of(), Map.of());
    store.create(git, secret(SECRET_1), "alice");
    assertEquals(Injection.basic("x-access-token"),
        store.current(TENANT, "git").metadata().spec().injection());
  }

  @Test
  void createRefusesAnExistingId() throws Exception {
    store.create(spec("openrouter"), secret(SECRET_1), "alice");
    CredentialStoreException e = assertThrows(CredentialStoreException.class,
        () -> store.create(spec("openrouter"), secret(SECRET_2), "bob"));
    assertEquals(CredentialStoreException.Reason.ALREADY_EXISTS, e.reason());
  }

  @Test
  void rotateWritesTheNextVersionAndKeepsThePrevious() throws Exception {
    store.create(spec("openrouter"), secret(SECRET_1), "alice");
    CredentialMetadata rotated = store.rotate(TENANT, "openrouter", secret(SECRET_2), "bob");
    assertEquals(2, rotated.version());
    assertEquals(SECRET_2, unsealed(store.current(TENANT, "openrouter")));
    assertEquals(SECRET_1, unsealed(store.version(TENANT, "openrouter", 1)));
    assertEquals("bob", store.current(TENANT, "openrouter").metadata().createdBy());
  }

  @Test
  void rollbackMakesAnOldSecretCurrentAsANewVersion() throws Exception {
    store.create(spec("openrouter"), secret(SECRET_1), "alice");
    store.rotate(TENANT, "openrouter", secret(SECRET_2), "bob");
    CredentialMetadata rolledBack = store.rollback(TENANT, "openrouter", 1, "carol");
    assertEquals(3, rolledBack.version());
    assertEquals("rollback to version 1", rolledBack.note());
    assertEquals(SECRET_1, unsealed(store.current(TENANT, "openrouter")));
  }

  @Test
  void aSpecChangedBesideTheCiphertextDoesNotDecrypt() throws Exception {
    store.create(spec("openrouter"), secret(SECRET_1), "alice");
    SealedCredential stored = store.current(TENANT, "openrouter");
    CredentialMetadata m = stored.metadata();
    CredentialSpec widened = new CredentialSpec(TENANT, "openrouter", m.spec().provider(),
        m.spec().injection(), List.of("*.openrouter.ai", "collector.attacker.example"),
        m.spec().models(), m.spec().labels());
    SealedCredential reseated = new SealedCredential(new CredentialMetadata(widened,
        m.version(), m.createdBy(), m.createdAt(), m.disabled(), m.note()), stored.sealed());
    assertThrows(GeneralSecurityException.class, () -> sealer.unseal(reseated));
  }

  @Test
  void anInjectionChangedBesideTheCiphertextDoesNotDecrypt() throws Exception {
    store.create(spec("openrouter"), secret(SECRET_1), "alice");
    SealedCredential stored = store.current(TENANT, "openrouter");
    CredentialMetadata m = stored.metadata();
    CredentialSpec moved = new CredentialSpec(TENANT, "openrouter", m.spec().provider(),
        Injection.query("key"), m.spec().allowedDomains(), m.spec().models(), m.spec().labels());
    SealedCredential reseated = new SealedCredential(new CredentialMetadata(moved,
        m.version(), m.createdBy(), m.createdAt(), m.disabled(), m.note()), stored.sealed());
    assertThrows(GeneralSecurityException.class, () -> sealer.unseal(reseated));
  }

  @Test
  void aSealedBlobCopiedToAnotherCredentialDoesNotDecrypt() throws Exception {
    store.create(spec("openrouter"), secret(SECRET_1), "alice");
    store.create(spec("other"), secret(SECRET_2), "alice");
    SealedCredential victim = store.current(TENANT, "openrouter");
    SealedCredential other = store.current(TENANT, "other");
    SealedCredential swapped = new SealedCredential(other.metadata(), victim.sealed());
    assertThrows(GeneralSecurityException.class, () -> sealer.unseal(swapped));
  }

  @Test
  void aSealedBlobCopiedToAnotherVersionDoesNotDecrypt() throws Exception {
    store.create(spec("openrouter"), secret(SECRET_1), "alice");
    store.rotate(TENANT, "openrouter", secret(SECRET_2), "bob");
    SealedCredential v1 = store.version(TENANT, "openrouter", 1);
    SealedCredential v2 = store.current(TENANT, "openrouter");
    SealedCredential swapped = new SealedCredential(v2.metadata(), v1.sealed());
    assertThrows(GeneralSecurityException.class, () -> sealer.unseal(swapped));
  }

  @Test
  void listReturnsMetadataWithoutSecrets() throws Exception {
    store.create(spec("openrouter"), secret(SECRET_1), "alice");
    store.create(spec("anthropic"), secret(SECRET_2), "alice");
    List<CredentialMetadata> listed = store.list(TENANT);
    assertEquals(List.of("anthropic", "openrouter"), listed.stream().map(CredentialMetadata::id).sorted().toList());
    assertFalse(listed.toString().contains(SECRET_1));
    assertFalse(listed.toString().contains(SECRET_2));
    assertEquals(List.of(TENANT), store.tenants());
  }

  @Test
  void historyListsEveryLiveVersion() throws Exception {
    store.create(spec("openrouter"), secret(SECRET_1), "alice");
    store.rotate(TENANT, "openrouter", secret(SECRET_2), "bob");
    assertEquals(List.of(1, 2), store.history(TENANT, "openrouter").stream()
        .map(CredentialMetadata::version).toList());
  }

  @Test
  void disablingMarksTheCurrentVersionDisabled() throws Exception {
    store.create(spec("openrouter"), secret(SECRET_1), "alice");
    store.setDisabled(TENANT, "openrouter", true, "alice");
    assertTrue(store.current(TENANT, "openrouter").metadata().disabled());
    store.setDisabled(TENANT, "openrouter", false, "alice");
    assertFalse(store.current(TENANT, "openrouter").metadata().disabled());
  }

  @Test
  void destroyingAVersionErasesIt() throws Exception {
    store.create(spec("openrouter"), secret(SECRET_1), "alice");
    store.rotate(TENANT, "openrouter", secret(SECRET_2), "bob");
    store.destroyVersion(TENANT, "openrouter", 1, "alice");
    CredentialStoreException e = assertThrows(CredentialStoreException.class,
        () -> store.version(TENANT, "openrouter", 1));
    assertEquals(CredentialStoreException.Reason.NOT_FOUND, e.reason());
    assertEquals(List.of(2), store.history(TENANT, "openrouter").stream()
        .map(CredentialMetadata::version).toList());
  }

  @Test
  void theCurrentVersionCannotBeDestroyed() throws Exception {
    store.create(spec("openrouter"), secret(SECRET_1), "alice");
    CredentialStoreException e = assertThrows(CredentialStoreException.class,
        () -> store.destroyVersion(TENANT, "openrouter", 1, "alice"));
    assertEquals(CredentialStoreException.Reason.INVALID, e.reason());
  }

  @Test
  void anUnknownCredentialIsNotFound() {
    CredentialStoreException e = assertThrows(CredentialStoreException.class,
        () -> store.current(TENANT, "missing"));
    assertEquals(CredentialStoreException.Reason.NOT_FOUND, e.reason());
  }

  @Test
  void concurrentRotationsAllLandAsSuccessiveVersions() throws Exception {
    store.create(spec("openrouter"), secret(SECRET_1), "alice");
    int writers = 4;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<CredentialMetadata>> results = new java.util.ArrayList<>();
      for (int i = 0; i < writers; i++) {
        String value = "sk-concurrent-writer-" + i;
        results.add(pool.submit(() -> {
          start.await();
          return store.rotate(TENANT, "openrouter", secret(value), "writer");
        }));
      }
      start.countDown();
      java.util.Set<Integer> versions = new java.util.TreeSet<>();
      for (Future<CredentialMetadata> result : results) {
        versions.add(result.get(30, TimeUnit.SECONDS).version());
      }
      assertEquals(java.util.Set.of(2, 3, 4, 5), versions);
      java.util.Set<String> secrets = new java.util.HashSet<>();
      for (int v = 2; v <= 5; v++) {
        secrets.add(unsealed(store.version(TENANT, "openrouter", v)));
      }
      assertEquals(writers, secrets.size(), "every writer's secret is kept in some version");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void afterAKekRotationAndRewrapEveryCredentialStillDecrypts() throws Exception {
    store.create(spec("openrouter"), secret(SECRET_1), "alice");
    store.create(spec("anthropic"), secret(SECRET_2), "alice");
    rotateKek();
    assertEquals(2, store.rewrapAll("operator"));
    assertEquals(SECRET_1, unsealed(store.current(TENANT, "openrouter")));
    assertEquals(SECRET_2, unsealed(store.current(TENANT, "anthropic")));
    assertEquals(SECRET_1, unsealed(store.version(TENANT, "openrouter", 1)));
    assertEquals("rewrap under the current KEK",
        store.current(TENANT, "openrouter").metadata().note());
  }
}
