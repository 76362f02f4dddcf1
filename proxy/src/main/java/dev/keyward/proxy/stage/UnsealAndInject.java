package dev.keyward.proxy.stage;

import dev.keyward.policies.Decision;
import dev.keyward.policies.Target;
import dev.keyward.proxy.call.Attempt;
import dev.keyward.proxy.call.BodyTap;
import dev.keyward.proxy.call.Call;
import dev.keyward.proxy.call.Interceptor;
import dev.keyward.proxy.call.ResponseRedaction;
import dev.keyward.proxy.error.ErrorCode;
import dev.keyward.proxy.error.ProxyException;
import dev.keyward.proxy.forward.HeaderHygiene;
import dev.keyward.proxy.forward.Redactor;
import dev.keyward.vault.CredentialMetadata;
import dev.keyward.vault.CredentialStoreException;
import dev.keyward.vault.Injection;
import dev.keyward.vault.InsecureSecretAccess;
import dev.keyward.vault.SealedCredentialCache;
import dev.keyward.vault.Secret;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key, for one attempt: reads the sealed credential from the cache (store reads and the KEK
 * call that unwraps its data key run on the I/O executor, never the event loop), asks the policy
 * whether the key as stored may be used (enabled, its own domains include the target), decrypts
 * it with the cached data key, writes it into the upstream request in the credential's format
 * in place of whatever the agent sent, and registers the redaction that keeps it out of the
 * response. The only class that reads a plaintext key: the secret is destroyed as soon as it is
 * written, the redactor's patterns when the attempt is over.
 */
public final class UnsealAndInject implements Interceptor {

  private static final Logger LOG = LoggerFactory.getLogger(UnsealAndInject.class);

  private final SealedCredentialCache cache;
  private final HeaderHygiene hygiene;

  public UnsealAndInject(SealedCredentialCache cache, HeaderHygiene hygiene) {
    this.cache = cache;
    this.hygiene = hygiene;
  }

  @Override
  public Future<Void> onAttempt(Call call, Attempt attempt) {
    if (call.forward() != null && call.credentialId().isEmpty()) {
      // The forward proxy, a request without a placeholder: the same hygiene, no key.
      MultiMap headers = hygiene.toUpstream(call.request().headers());
      headers.set("X-Request-Id", call.requestId());
      attempt.headers(headers);
      return CONTINUE;
    }
    String tenant = call.token().tenant();
    String id = attempt.credentialId();
    Context context = Vertx.currentContext();
    return Future.fromCompletionStage(cache.get(tenant, id), context)
        .recover(failure -> Future.failedFuture(storeFailure(failure, tenant, id)))
        .compose(entry -> {
          if (entry == null) {
            return Future.failedFuture(ErrorCode.CREDENTIAL_NOT_FOUND.exception(
                "tenant '" + tenant + "' has no credential '" + id + "'"));
          }
          CredentialMetadata metadata = entry.credential().metadata();
          attempt.credentialVersion(metadata.version());
          Decision stored = call.policy().decideStoredKey(id, metadata.version(),
              metadata.disabled(), entry.allowedDomains(), attempt.target());
          if (!stored.allowed()) {
            return Future.failedFuture(ProxyException.denied(stored));
          }
          Secret secret;
          try {
            secret = entry.unseal();
          } catch (GeneralSecurityException e) {
            LOG.error("credential {}/{} version {} does not decrypt with the current KEK", tenant,
                id, metadata.version());
            return Future.failedFuture(ErrorCode.CREDENTIAL_UNAVAILABLE.exception());
          }
          inject(call, attempt, metadata.spec().injection(), secret);
          return CONTINUE;
        });
  }

  /** Writes the key into the attempt's headers (or query) and destroys it. */
  private void inject(Call call, Attempt attempt, Injection injection, Secret secret) {
    Injected injected = inject(hygiene, call.request().headers(), attempt.target(), injection,
        secret, call.requestId());
    attempt.headers(injected.headers());
    attempt.target(injected.target());
    attempt.redaction(redaction(injected.redactor()));
    attempt.onDone(injected.redactor()::destroy);
  }

  /**
   * The upstream request's headers and target with the key in the credential's format in place
   * of whatever the agent sent, and the redactor for the key. The headers (or, for a query
   * credential, the target) hold the key: never print them.
   */
  public record Injected(MultiMap headers, Target target, Redactor redactor) {

    @Override
    public String toString() {
      return "Injected[" + target.scheme() + "://" + target.host() + ":" + target.port()
          + target.path() + ", " + headers.size() + " headers]";
    }
  }

  /** The rewrite itself, for one request's headers; destroys {@code secret}. */
  public static Injected inject(HeaderHygiene hygiene, MultiMap agentHeaders, Target target,
      Injection injection, Secret secret, String requestId) {
    try {
      MultiMap headers = hygiene.toUpstream(agentHeaders, injection);
      headers.set("X-Request-Id", requestId);
      injection.extraHeaders().forEach(headers::set);
      String text = secret.text(InsecureSecretAccess.get());
      Redactor redactor = Redactor.forSecret(text);
      String value = injection.render(text);
      if (injection.inHeader()) {
        headers.set(injection.name(), value);
        return new Injected(headers, target, redactor);
      }
      return new Injected(headers, new Target(target.scheme(), target.host(), target.port(),
          target.path(), withParameter(target.query(), injection.name(), value)), redactor);
    } finally {
      secret.destroy();
    }
  }

  private static ResponseRedaction redaction(Redactor redactor) {
    return new ResponseRedaction() {
      @Override
      public String header(String value) {
        return redactor.redact(value);
      }

      @Override
      public BodyTap body() {
        Redactor.Stream stream = redactor.newStream();
        return new BodyTap() {
          @Override
          public Buffer chunk(Buffer chunk) {
            return stream.push(chunk);
          }

          @Override
          public Buffer end() {
            return stream.finish();
          }
        };
      }
    };
  }

  /**
   * The query with {@code name} set to {@code value}, dropping every parameter the agent sent
   * under that name in any case or percent-encoding.
   */
  static String withParameter(String query, String name, String value) {
    List<String> parts = new ArrayList<>();
    if (query != null && !query.isEmpty()) {
      for (String part : query.split("&")) {
        int eq = part.indexOf('=');
        String key = eq < 0 ? part : part.substring(0, eq);
        if (!decodedEqualsIgnoringCase(key, name)) {
          parts.add(part);
        }
      }
    }
    parts.add(URLEncoder.encode(name, StandardCharsets.UTF_8) + "="
        + URLEncoder.encode(value, StandardCharsets.UTF_8));
    return String.join("&", parts);
  }

  private static boolean decodedEqualsIgnoringCase(String encodedKey, String name) {
    try {
      return URLDecoder.decode(encodedKey, StandardCharsets.UTF_8).equalsIgnoreCase(name);
    } catch (IllegalArgumentException e) {
      return encodedKey.equalsIgnoreCase(name); // malformed escapes: compare as written
    }
  }

  private static ProxyException storeFailure(Throwable failure, String tenant, String id) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause() : failure;
    if (cause instanceof CredentialStoreException e) {
      LOG.warn("credential {}/{} unavailable: {}", tenant, id, e.getMessage());
    } else {
      LOG.error("credential {}/{} failed to load", tenant, id, cause);
    }
    return ErrorCode.CREDENTIAL_UNAVAILABLE.exception();
  }
}
