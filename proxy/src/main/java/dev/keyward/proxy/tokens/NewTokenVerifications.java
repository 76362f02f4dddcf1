package dev.keyward.proxy.tokens;

import dev.keyward.proxy.error.ErrorCode;
import dev.keyward.proxy.error.ProxyError;
import dev.keyward.proxy.error.ProxyException;
import dev.keyward.token.PlatformToken;
import dev.keyward.token.TokenRejectedException;
import dev.keyward.token.TokenVerifier;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Signature checks of tokens not yet in the verifier's cache, run on {@code executor} so that an
 * event loop never spends the millisecond an ES256 check takes: requests with cached tokens on
 * the same loop go on meanwhile. Requests that present the same new token while it is being
 * checked share that one check. At most {@code maxPending} checks wait or run at once; a new
 * token beyond that is refused with {@code 503 token_verification_busy} and {@code Retry-After},
 * so a flood of new or forged tokens costs bounded memory and at most the executor's threads.
 *
 * <p>A refusal is not remembered: the next request with the same forged token is checked again
 * (a negative cache would buy nothing, since changing one byte makes a new token).
 */
public final class NewTokenVerifications {

  /** Checks waiting or running at once, by default: about 1 s of work for one thread. */
  public static final int DEFAULT_MAX_PENDING = 1024;
  /** Threads of the default executor: up to half the processors, at least 1, at most 4. */
  public static final int DEFAULT_THREADS =
      Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors() / 2));
  static final String RETRY_AFTER_SECONDS = "1";

  private final TokenVerifier verifier;
  private final Executor executor;
  private final int maxPending;
  // Keyed by the token text (held only while its check runs, like the task itself).
  private final ConcurrentHashMap<String, CompletableFuture<PlatformToken>> checks =
      new ConcurrentHashMap<>();
  private final AtomicInteger pending = new AtomicInteger();
  private final LongAdder started = new LongAdder();
  private final LongAdder joined = new LongAdder();
  private final LongAdder refusedBusy = new LongAdder();

  public NewTokenVerifications(TokenVerifier verifier, Executor executor, int maxPending) {
    if (maxPending < 1) {
      throw new IllegalArgumentException("maxPending must be positive");
    }
    this.verifier = verifier;
    this.executor = executor;
    this.maxPending = maxPending;
  }

  /** The refusal for a new token while {@code maxPending} checks are under way. */
  public static ProxyException busy() {
    return ProxyException.withHeaders(ProxyError.of(ErrorCode.TOKEN_VERIFICATION_BUSY),
        Map.of("Retry-After", RETRY_AFTER_SECONDS));
  }

  /**
   * Verifies a token that {@link TokenVerifier#verifyCached} did not answer. The cheap checks run
   * here (a malformed, expired or unknown-key token is refused at once); the signature check runs
   * on the executor, joined if already under way. The future completes on the caller's context,
   * failed with {@link TokenRejectedException} or with {@link #busy()}.
   */
  public Future<PlatformToken> verify(String token) {
    try {
      verifier.precheck(token);
    } catch (TokenRejectedException e) {
      return Future.failedFuture(e);
    }
    CompletableFuture<PlatformToken> check = checks.get(token);
    if (check == null) {
      if (pending.incrementAndGet() > maxPending) {
        pending.decrementAndGet();
        refusedBusy.increment();
        return Future.failedFuture(busy());
      }
      CompletableFuture<PlatformToken> mine = new CompletableFuture<>();
      check = checks.putIfAbsent(token, mine);
      if (check == null) {
        check = mine;
        started.increment();
        start(token, mine);
      } else {
        pending.decrementAndGet(); // another request started it in between: join that one
        joined.increment();
      }
    } else {
      joined.increment();
    }
    Context context = Vertx.currentContext();
    return context == null ? Future.fromCompletionStage(check)
        : Future.fromCompletionStage(check, context);
  }

  /** Checks waiting or running now. */
  public int pending() {
    return pending.get();
  }

  /** Signature checks started, since start-up. */
  public long started() {
    return started.sum();
  }

  /** Requests that shared a check another request had started, since start-up. */
  public long joined() {
    return joined.sum();
  }

  /** New tokens refused with {@code token_verification_busy}, since start-up. */
  public long refusedBusy() {
    return refusedBusy.sum();
  }

  private void start(String token, CompletableFuture<PlatformToken> check) {
    try {
      executor.execute(() -> {
        try {
          // Caches the claims before the check is removed below: a request arriving in between
          // finds them in the cache, so a token is checked once.
          done(token, check, verifier.verifyUncached(token), null);
        } catch (TokenRejectedException | RuntimeException e) {
          done(token, check, null, e);
        }
      });
    } catch (RejectedExecutionException e) { // shutting down
      done(token, check, null, ErrorCode.SHUTTING_DOWN.exception());
    }
  }

  private void done(String token, CompletableFuture<PlatformToken> check, PlatformToken claims,
      Throwable failure) {
    checks.remove(token, check);
    pending.decrementAndGet();
    if (failure == null) {
      check.complete(claims);
    } else {
      check.completeExceptionally(failure);
    }
  }
}
