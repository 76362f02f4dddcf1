package dev.keyward.proxy.call;

import io.vertx.core.Future;
import io.vertx.core.http.HttpClientResponse;

/**
 * One concern of the request path (authentication, the policy, the key, LLM metering, the audit
 * record) plugged in at the points where it acts. Every method continues by default, so an
 * interceptor overrides only what it changes. A returned future that fails with a {@code
 * ProxyException} refuses the call; nothing reaches the upstream unless every {@link #onRequest}
 * and {@link #onAttempt} of the chain succeeded. {@link #onEnd} runs for every call, in the
 * reverse order of the chain.
 */
public interface Interceptor {

  /** Succeeded: continue. Shared, so a synchronous step allocates nothing. */
  Future<Void> CONTINUE = Future.succeededFuture();

  /** Before any upstream is chosen: identify, decide, read what must be read. */
  default Future<Void> onRequest(Call call) {
    return CONTINUE;
  }

  /** Just before {@code attempt} goes upstream: its key, headers, body and target. */
  default Future<Void> onAttempt(Call call, Attempt attempt) {
    return CONTINUE;
  }

  /**
   * The upstream's response head arrived; nothing has been sent to the agent yet. Response body
   * taps are added to {@code attempt} here.
   */
  default void onResponse(Call call, Attempt attempt, HttpClientResponse head) {}

  /**
   * An attempt of a route with targets ended without answering the agent (it was skipped, or its
   * upstream failed), and the next target is tried: give back what it holds, record it. Runs in
   * the reverse order of the chain. Not called for the attempt that answered, nor on routes with
   * one upstream: their attempt ends with the call ({@link #onEnd}). Never throws.
   */
  default void onAttemptEnd(Call call, Attempt attempt) {}

  /** The call ended, whichever way. Never throws. */
  default void onEnd(Call call, Outcome outcome) {}
}
