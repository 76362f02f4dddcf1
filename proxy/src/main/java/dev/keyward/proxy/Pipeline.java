package dev.keyward.proxy;

import dev.keyward.policies.Decision;
import dev.keyward.proxy.call.Attempt;
import dev.keyward.proxy.call.Call;
import dev.keyward.proxy.call.Interceptor;
import dev.keyward.proxy.call.Outcome;
import dev.keyward.proxy.error.ErrorCode;
import dev.keyward.proxy.error.ErrorResponses;
import dev.keyward.proxy.error.ProxyError;
import dev.keyward.proxy.error.ProxyException;
import dev.keyward.proxy.forward.Relay;
import dev.keyward.proxy.forward.UpstreamCall;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request path: an ordered chain of {@link Interceptor}s around one upstream {@link
 * Attempt}. Every {@code onRequest} runs in order; then every {@code onAttempt}; then the
 * attempt goes upstream ({@link UpstreamCall}), every {@code onResponse} sees its head, and the
 * response is relayed to the agent ({@link Relay}); finally every {@code onEnd}, in reverse
 * order. A step that fails refuses the call with its error, and nothing reaches the upstream
 * unless every earlier step passed. Synchronous steps run back to back without allocating.
 */
public final class Pipeline implements Handler<HttpServerRequest> {

  private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);

  private final Vertx vertx;
  private final PolicyHolder policies;
  private final List<Interceptor> chain;
  private final UpstreamCall upstream;
  private final Relay relay;
  private final Duration maxRequestDuration;

  public Pipeline(Vertx vertx, PolicyHolder policies, List<Interceptor> chain,
      UpstreamCall upstream, Relay relay, Duration maxRequestDuration) {
    this.vertx = vertx;
    this.policies = policies;
    this.chain = List.copyOf(chain);
    this.upstream = upstream;
    this.relay = relay;
    this.maxRequestDuration = maxRequestDuration;
  }

  @Override
  public void handle(HttpServerRequest request) {
    request.pause(); // the body waits until the request is allowed and the upstream is connected
    Call call = new Call(request, RequestIds.fromAgentOrNew(request.getHeader("X-Request-Id")),
        System.nanoTime(), policies.current());
    long deadline = vertx.setTimer(maxRequestDuration.toMillis(), id -> {
      // Bounds every exchange, streamed or not: closing the connection fails both pipes.
      LOG.atInfo().addKeyValue("request_id", call.requestId())
          .log("request exceeded the maximum duration of {}", maxRequestDuration);
      request.connection().close();
    });
    runRequest(call, 0, deadline);
  }

  /** The {@code onRequest} steps from {@code from}, then the attempt. */
  private void runRequest(Call call, int from, long deadline) {
    for (int i = from; i < chain.size(); i++) {
      Future<Void> step;
      try {
        step = chain.get(i).onRequest(call);
      } catch (RuntimeException e) { // a step that throws instead of failing fails all the same
        step = Future.failedFuture(e);
      }
      if (step.failed()) {
        end(call, deadline, refuse(call, step.cause()));
        return;
      }
      if (!step.succeeded()) {
        int next = i + 1;
        step.onComplete(done -> {
          if (done.failed()) {
            end(call, deadline, refuse(call, done.cause()));
          } else {
            runRequest(call, next, deadline);
          }
        });
        return;
      }
    }
    Attempt attempt = new Attempt(call.target());
    runAttempt(call, attempt, 0, deadline);
  }

  /** The {@code onAttempt} steps from {@code from}, then the upstream call and the relay. */
  private void runAttempt(Call call, Attempt attempt, int from, long deadline) {
    for (int i = from; i < chain.size(); i++) {
      Future<Void> step;
      try {
        step = chain.get(i).onAttempt(call, attempt);
      } catch (RuntimeException e) {
        step = Future.failedFuture(e);
      }
      if (step.failed()) {
        attempt.done();
        end(call, deadline, refuse(call, step.cause()));
        return;
      }
      if (!step.succeeded()) {
        int next = i + 1;
        step.onComplete(done -> {
          if (done.failed()) {
            attempt.done();
            end(call, deadline, refuse(call, done.cause()));
          } else {
            runAttempt(call, attempt, next, deadline);
          }
        });
        return;
      }
    }
    upstream.send(call, attempt)
        .compose(head -> {
          respond(call, attempt, head);
          return relay.relay(call, attempt, head);
        })
        .onComplete(done -> {
          attempt.done();
          end(call, deadline, done.failed() ? failed(call, done.cause())
              // Stopped early (the answer passed what its budget reserved): cut, not denied,
              // since the key was used and the provider bills what it generated.
              : call.stoppedBy().map(why -> Outcome.cut(
                  call.request().response().getStatusCode(), why))
              .orElseGet(() -> Outcome.served(call.request().response().getStatusCode())));
        });
  }

  private void respond(Call call, Attempt attempt, HttpClientResponse head) {
    for (Interceptor interceptor : chain) {
      interceptor.onResponse(call, attempt, head);
    }
  }

  private Outcome failed(Call call, Throwable failure) {
    if (failure instanceof ProxyException) {
      return refuse(call, failure);
    }
    HttpServerRequest request = call.request();
    if (request.response().headWritten()) {
      // The upstream or the agent broke off mid-stream; the agent's stream has been reset.
      LOG.atInfo().addKeyValue("request_id", call.requestId())
          .log("request ended mid-stream: {}", failure.toString());
      return Outcome.cut(request.response().getStatusCode(),
          ProxyError.of(ErrorCode.UPSTREAM_RESET));
    }
    return refuse(call, failure);
  }

  /** Answers the agent with the error; a body it is still sending is not read. */
  private Outcome refuse(Call call, Throwable failure) {
    ProxyError error;
    Optional<Decision> denial = Optional.empty();
    Map<String, String> headers = Map.of();
    if (failure instanceof ProxyException e) {
      error = e.error();
      denial = e.denial();
      headers = e.headers();
    } else {
      LOG.atError().addKeyValue("request_id", call.requestId()).setCause(failure)
          .log("request failed unexpectedly");
      error = ProxyError.of(ErrorCode.INTERNAL_ERROR);
    }
    HttpServerRequest request = call.request();
    if (!request.isEnded()) {
      // The unread body never goes anywhere; close rather than drain it.
      headers = withHeader(headers, HttpHeaders.CONNECTION.toString(), "close");
      request.resume();
    }
    ErrorResponses.send(request.response(), error, call.requestId(), headers);
    return Outcome.refused(error, denial);
  }

  private static Map<String, String> withHeader(Map<String, String> headers, String name,
      String value) {
    if (headers.isEmpty()) {
      return Map.of(name, value);
    }
    Map<String, String> all = new LinkedHashMap<>(headers);
    all.put(name, value);
    return all;
  }

  private void end(Call call, long deadline, Outcome outcome) {
    vertx.cancelTimer(deadline);
    for (int i = chain.size() - 1; i >= 0; i--) {
      try {
        chain.get(i).onEnd(call, outcome);
      } catch (RuntimeException e) {
        LOG.atError().addKeyValue("request_id", call.requestId()).setCause(e)
            .log("an interceptor failed at the end of the call");
      }
    }
  }
}
