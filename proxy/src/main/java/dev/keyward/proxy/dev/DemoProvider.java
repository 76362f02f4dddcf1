package dev.keyward.proxy.dev;

import dev.keyward.policies.InvalidPolicyException;
import dev.keyward.policies.PolicyLoader;
import dev.keyward.policies.Route;
import dev.keyward.proxy.config.ConfigException;
import dev.keyward.proxy.config.ConnectTo;
import dev.keyward.proxy.config.KeywardConfig;
import dev.keyward.proxy.storage.Storage;
import dev.keyward.vault.CredentialSpec;
import dev.keyward.vault.CredentialStore;
import dev.keyward.vault.CredentialStoreException;
import dev.keyward.vault.Injection;
import dev.keyward.vault.Secret;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The first call that needs no provider key: {@code keyward dev} starts a {@link FakeProvider} on a
 * free loopback port, keeps a random key for it in the store as the {@code demo} credential of
 * the {@code default} tenant (the agent never sees it; the fake accepts only it), and sends the
 * policy's {@code demo} route there. The route names {@value #HOST}, a name that never resolves
 * ({@code .invalid}, RFC 6761); only {@code keyward dev} maps it to the fake, with a {@code
 * connect_to} rule, so the same policy under {@code keyward serve} reaches nothing.
 */
public final class DemoProvider implements AutoCloseable {

  /** The demo route's upstream host in the sample policy. */
  public static final String HOST = "demo.keyward.invalid";
  public static final String ROUTE = "demo";
  public static final String TENANT = "default";
  static final String KEY_PREFIX = "sk-demo-";

  private final Vertx vertx;
  private final FakeProvider fake;
  private final ConnectTo connectTo;

  private DemoProvider(Vertx vertx, FakeProvider fake, ConnectTo connectTo) {
    this.vertx = vertx;
    this.fake = fake;
    this.connectTo = connectTo;
  }

  /**
   * Starts the fake provider for the policy's {@code demo} route, storing its key on first use.
   *
   * @return empty when the policy has no {@code demo} route to {@value #HOST} (a data directory
   *     made before there was one, or a user who removed it)
   * @throws DemoException saying what failed; never a key
   */
  public static Optional<DemoProvider> start(KeywardConfig config, Clock clock)
      throws DemoException {
    Route route;
    try {
      Optional<Route> found = PolicyLoader.load(config.policy()).route(ROUTE);
      if (found.isEmpty() || !found.get().upstream().host().equals(HOST)) {
        return Optional.empty();
      }
      route = found.get();
    } catch (IOException | InvalidPolicyException e) {
      return Optional.empty(); // Keyward itself reports the policy's problems when it starts
    }
    Secret key;
    try (Storage storage = Storage.open(config.storage(), clock)) {
      key = storedKey(storage, route.credentialId(), clock);
    } catch (ConfigException e) {
      throw new DemoException("cannot open the store: " + e.getMessage(), e);
    }
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1));
    try {
      FakeProvider fake = FakeProvider.start(vertx, key, clock).toCompletionStage()
          .toCompletableFuture().get();
      ConnectTo rule = new ConnectTo(HOST, route.upstream().port(),
          InetAddress.getLoopbackAddress(), fake.port());
      return Optional.of(new DemoProvider(vertx, fake, rule));
    } catch (Exception e) {
      key.destroy();
      vertx.close();
      throw new DemoException("cannot start the fake provider: " + e.getMessage(), e);
    }
  }

  /**
   * The demo credential's key: the stored one, or a new random one stored now (also when the
   * stored one can no longer be unsealed).
   */
  private static Secret storedKey(Storage storage, String credentialId, Clock clock)
      throws DemoException {
    CredentialStore credentials = storage.credentials(clock);
    try {
      return storage.sealer().unseal(credentials.current(TENANT, credentialId));
    } catch (CredentialStoreException e) {
      if (e.reason() != CredentialStoreException.Reason.NOT_FOUND) {
        throw new DemoException("cannot read the demo credential: " + e.getMessage(), e);
      }
    } catch (GeneralSecurityException e) {
      return storeNewKey(credentials, credentialId, true);
    }
    return storeNewKey(credentials, credentialId, false);
  }

  private static Secret storeNewKey(CredentialStore credentials, String credentialId,
      boolean rotate) throws DemoException {
    byte[] random = new byte[24];
    new SecureRandom().nextBytes(random);
    byte[] text = (KEY_PREFIX + HexFormat.of().formatHex(random))
        .getBytes(StandardCharsets.US_ASCII);
    try (Secret stored = Secret.copyOf(text)) {
      if (rotate) {
        credentials.rotate(TENANT, credentialId, stored, "keyward dev");
      } else {
        credentials.create(new CredentialSpec(TENANT, credentialId, "keyward-demo",
            Injection.bearer(), List.of(HOST), List.of(), Map.of("note",
                "the key of keyward dev's built-in fake provider; no real provider accepts it")),
            stored, "keyward dev");
      }
      return Secret.copyOf(text);
    } catch (CredentialStoreException e) {
      throw new DemoException("cannot store the demo credential: " + e.getMessage(), e);
    } finally {
      Arrays.fill(random, (byte) 0);
      Arrays.fill(text, (byte) 0);
    }
  }

  /** Sends the demo route's host to the fake provider. */
  public ConnectTo connectTo() {
    return connectTo;
  }

  /** This configuration with the demo route's host mapped to the fake provider. */
  public KeywardConfig wire(KeywardConfig config) {
    List<ConnectTo> rules = new ArrayList<>(config.connectTo());
    rules.add(0, connectTo);
    return config.withConnectTo(rules);
  }

  public int port() {
    return fake.port();
  }

  /** Stops the fake provider (waiting for it a few seconds at most). */
  @Override
  public void close() {
    try {
      fake.close();
    } catch (Exception e) {
      // the process is ending; its threads go with it
    }
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // as above
    }
  }

  /** The demo could not be set up; {@code keyward dev} runs without it. */
  public static final class DemoException extends Exception {
    DemoException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
