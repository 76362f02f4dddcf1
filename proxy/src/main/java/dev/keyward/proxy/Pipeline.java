package dev.keyward.proxy;

import dev.keyward.policies.PolicySet;
import dev.keyward.proxy.error.ErrorCode;
import dev.keyward.proxy.error.ErrorResponses;
import dev.keyward.proxy.error.ProxyError;
import dev.keyward.proxy.error.ProxyException;
import dev.keyward.proxy.forward.Forwarder;
import dev.keyward.proxy.forward.Redactor;
import dev.keyward.proxy.stage.Authenticate;
import dev.keyward.proxy.stage.Authorize;
import dev.keyward.proxy.stage.Exchange;
import dev.keyward.proxy.stage.Inject;
import dev.keyward.proxy.stage.RecordOutcome;
import dev.keyward.proxy.stage.ResolveTarget;
import dev.keyward.proxy.stage.Unseal;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the stages of one proxied request in order: authenticate, resolve target, authorize,
 * unseal, inject, forward; then records the outcome (audit and metrics). A stage either passes on
 * or ends the request with a typed error; nothing reaches the upstream unless every earlier stage
 * passed.
 */
public final class Pipeline implements Handler<HttpServerRequest> {

  private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);

  private final PolicyHolder policies;
  private final Authenticate authenticate;
  private final ResolveTarget resolveTarget;
  private final Authorize authorize = new Authorize();
  private final Unseal unseal;
  private final Inject inject;
  private final Forwarder forwarder;
  private final RecordOutcome recordOutcome;
  private final Duration maxRequestDuration;

  public Pipeline(PolicyHolder policies, Authenticate authenticate, ResolveTarget resolveTarget,
      Unseal unseal, Inject inject, Forwarder forwarder, RecordOutcome recordOutcome,
      Duration maxRequestDuration) {
    this.policies = policies;
    this.authenticate = authenticate;
    this.resolveTarget = resolveTarget;
    this.maxRequestDuration = maxRequestDuration;
    this.unseal = unseal;
    this.inject = inject;
    this.forwarder = forwarder;
    this.recordOutcome = recordOutcome;
  }

  @Override
  public void handle(HttpServerRequest request) {
    request.pause(); // the body waits until the request is allowed and the upstream is connected
    PolicySet policy = policies.current();
    Exchange exchange = new Exchange(RequestIds.fromAgentOrNew(request.getHeader("X-Request-Id")),
        System.nanoTime(), request.method().name(), policy.version());
    try {
      if (!recordOutcome.accepting()) {
        throw ErrorCode.AUDIT_UNAVAILABLE.exception();
      }
      authenticate.apply(request.headers(), exchange);
      resolveTarget.apply(request.path(), request.query(),
          request.getHeader(ResolveTarget.CREDENTIAL_HEADER), policy, exchange);
      authorize.apply(policy, exchange);
      checkDeclaredLength(request, exchange);
    } catch (ProxyException e) {
      refuse(request, exchange, e);
      return;
    }
    Context context = Vertx.currentContext();
    long deadline = context.owner().setTimer(maxRequestDuration.toMillis(), id -> {
      // Bounds every exchange, streamed or not: closing the connection fails both pipes.
      LOG.atInfo().addKeyValue("request_id", exchange.requestId())
          .log("request exceeded the maximum duration of {}", maxRequestDuration);
      request.connection().close();
    });
    AtomicReference<Redactor> redactor = new AtomicReference<>(Redactor.NONE);
    unseal.apply(exchange, policy, context)
        .compose(unsealed -> {
          Inject.Outbound outbound = inject.apply(request.headers(), exchange.target(),
              unsealed.metadata().spec().injection(), unsealed.secret(), exchange.requestId());
          redactor.set(outbound.redactor());
          return forwarder.forward(request, exchange, outbound, policy);
        })
        .onComplete(done -> {
          context.owner().cancelTimer(deadline);
          redactor.get().destroy();
          if (done.succeeded()) {
            recordOutcome.apply(exchange, request.response().getStatusCode(), null);
          } else {
            fail(request, exchange, done.cause());
          }
        });
  }

  /** A body announced larger than the route allows is refused before anything else happens. */
  private static void checkDeclaredLength(HttpServerRequest request, Exchange exchange)
      throws ProxyException {
    String declared = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (declared == null) {
      return;
    }
    long length;
    try {
      length = Long.parseLong(declared.trim());
    } catch (NumberFormatException e) {
      throw ErrorCode.BAD_REQUEST.exception("invalid Content-Length");
    }
    if (length > exchange.maxRequestBody()) {
      throw ErrorCode.PAYLOAD_TOO_LARGE.exception("the request body may be at most "
          + exchange.maxRequestBody() + " bytes on this route");
    }
  }

  private void fail(HttpServerRequest request, Exchange exchange, Throwable failure) {
    if (failure instanceof ProxyException e) {
      refuse(request, exchange, e);
      return;
    }
    if (request.response().headWritten()) {
      // The upstream or the agent broke off mid-stream; the agent's stream has been reset.
      LOG.atInfo().addKeyValue("request_id", exchange.requestId())
          .log("request ended mid-stream: {}", failure.toString());
      recordOutcome.apply(exchange, request.response().getStatusCode(),
          ProxyError.of(ErrorCode.UPSTREAM_RESET));
      return;
    }
    LOG.atError().addKeyValue("request_id", exchange.requestId()).setCause(failure)
        .log("request failed unexpectedly");
    refuse(request, exchange, ProxyError.of(ErrorCode.INTERNAL_ERROR));
  }

  private void refuse(HttpServerRequest request, Exchange exchange, ProxyException refusal) {
    refusal.denial().ifPresent(exchange::denied);
    refuse(request, exchange, refusal.error());
  }

  private void refuse(HttpServerRequest request, Exchange exchange, ProxyError error) {
    Map<String, String> headers = Map.of();
    if (!request.isEnded()) {
      // The unread body never goes anywhere; close rather than drain it.
      headers = Map.of(HttpHeaders.CONNECTION.toString(), "close");
      request.resume();
    }
    ErrorResponses.send(request.response(), error, exchange.requestId(), headers);
    recordOutcome.apply(exchange, error.status(), error);
  }
}
