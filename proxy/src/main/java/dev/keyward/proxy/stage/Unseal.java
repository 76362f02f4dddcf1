package dev.keyward.proxy.stage;

import dev.keyward.policies.Decision;
import dev.keyward.policies.PolicySet;
import dev.keyward.proxy.error.ErrorCode;
import dev.keyward.proxy.error.ProxyException;
import dev.keyward.vault.CredentialMetadata;
import dev.keyward.vault.CredentialStoreException;
import dev.keyward.vault.SealedCredentialCache;
import dev.keyward.vault.Secret;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.security.GeneralSecurityException;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 4: the credential. Reads the sealed copy from the cache (store reads and the KEK call that
 * unwraps its data key run on the I/O executor, never the event loop), asks the policy whether the
 * key as stored may be used (enabled, its own allowed domains include the target), and decrypts it
 * locally with the cached data key. The caller must destroy the secret.
 */
public final class Unseal {

  private static final Logger LOG = LoggerFactory.getLogger(Unseal.class);

  /** The plaintext key and the version it came from. */
  public record Unsealed(CredentialMetadata metadata, Secret secret) {}

  private final SealedCredentialCache cache;

  public Unseal(SealedCredentialCache cache) {
    this.cache = cache;
  }

  public Future<Unsealed> apply(Exchange exchange, PolicySet policy, Context context) {
    String tenant = exchange.token().tenant();
    String id = exchange.credentialId();
    return Future.fromCompletionStage(cache.get(tenant, id), context)
        .recover(failure -> Future.failedFuture(storeFailure(failure, tenant, id)))
        .compose(entry -> {
          if (entry == null) {
            return Future.failedFuture(ErrorCode.CREDENTIAL_NOT_FOUND.exception(
                "tenant '" + tenant + "' has no credential '" + id + "'"));
          }
          CredentialMetadata metadata = entry.credential().metadata();
          exchange.credentialVersion(metadata.version());
          Decision stored = policy.decideStoredKey(id, metadata.version(), metadata.disabled(),
              entry.allowedDomains(), exchange.target());
          if (!stored.allowed()) {
            return Future.failedFuture(ProxyException.denied(stored));
          }
          try {
            return Future.succeededFuture(new Unsealed(metadata, entry.unseal()));
          } catch (GeneralSecurityException e) {
            LOG.error("credential {}/{} version {} does not decrypt with the current KEK", tenant, id,
                metadata.version());
            return Future.failedFuture(ErrorCode.CREDENTIAL_UNAVAILABLE.exception());
          }
        });
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
