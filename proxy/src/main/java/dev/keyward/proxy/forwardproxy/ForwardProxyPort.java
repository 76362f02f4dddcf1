package dev.keyward.proxy.forwardproxy;

import dev.keyward.policies.BadTargetException;
import dev.keyward.policies.Decision;
import dev.keyward.policies.ForwardPlan;
import dev.keyward.policies.PolicySet;
import dev.keyward.policies.Target;
import dev.keyward.policies.Targets;
import dev.keyward.proxy.Pipeline;
import dev.keyward.proxy.RequestIds;
import dev.keyward.proxy.error.ErrorCode;
import dev.keyward.proxy.error.ErrorResponses;
import dev.keyward.proxy.error.ProxyError;
import dev.keyward.proxy.error.ProxyException;
import dev.keyward.proxy.forward.UpstreamAddresses;
import dev.keyward.proxy.forward.UpstreamFailures;
import dev.keyward.proxy.http.SlowClientGuard;
import dev.keyward.proxy.stage.RecordOutcome;
import dev.keyward.proxy.tokens.NewTokenVerifications;
import dev.keyward.token.PlatformToken;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * The forward-proxy port: what agents' tools reach through {@code HTTPS_PROXY} and {@code
 * HTTP_PROXY}. A {@code CONNECT host:port} with a valid platform token in {@code
 * Proxy-Authorization} is, by the policy's forward plan for the host: intercepted (Keyward's TLS
 * server, on loopback, answers inside the tunnel with a leaf certificate for the host, and every
 * request inside goes through the forward pipeline); tunnelled untouched to the address the SSRF
 * guard checked, and audited with its byte counts when it closes; or refused ({@code 403
 * egress_denied}). A plain-HTTP request in absolute form goes through the forward pipeline
 * itself. Nothing else is served here.
 */
final class ForwardProxyPort implements Handler<HttpServerRequest> {

  private final Supplier<PolicySet> policies;
  private final dev.keyward.token.TokenVerifier verifier;
  private final NewTokenVerifications newTokens;
  private final Pipeline pipeline;
  private final Tunnels tunnels;
  private final TunnelGuard guard;
  private final NetClient client;
  private final IntSupplier interceptingPort;
  private final UpstreamAddresses addresses;
  private final SlowClientGuard slowClients;
  private final RecordOutcome record;
  private final BooleanSupplier draining;

  ForwardProxyPort(Supplier<PolicySet> policies, dev.keyward.token.TokenVerifier verifier,
      NewTokenVerifications newTokens, Pipeline pipeline, Tunnels tunnels, TunnelGuard guard,
      NetClient client,
      IntSupplier interceptingPort,
      UpstreamAddresses addresses, SlowClientGuard slowClients, RecordOutcome record,
      BooleanSupplier draining) {
    this.policies = policies;
    this.verifier = verifier;
    this.newTokens = newTokens;
    this.pipeline = pipeline;
    this.tunnels = tunnels;
    this.guard = guard;
    this.client = client;
    this.interceptingPort = interceptingPort;
    this.addresses = addresses;
    this.slowClients = slowClients;
    this.record = record;
    this.draining = draining;
  }

  @Override
  public void handle(HttpServerRequest request) {
    if (request.method() == HttpMethod.CONNECT) {
      // Answered with a tunnel, or refused (which waits for the next request head again).
      slowClients.tunnelled(request.connection());
    } else {
      slowClients.requestArrived(request);
    }
    RecordOutcome.Unrouted unrouted = RecordOutcome.Unrouted.of(
        RequestIds.fromAgentOrNew(request.getHeader("X-Request-Id")), System.nanoTime(),
        request.method().name(), request.method() == HttpMethod.CONNECT ? "" : request.path());
    if (draining.getAsBoolean()) {
      refuse(request, unrouted, "", null, ProxyError.of(ErrorCode.SHUTTING_DOWN),
          Map.of("Connection", "close"));
    } else if (request.method() == HttpMethod.CONNECT) {
      connect(request, unrouted);
    } else if (request.uri().toLowerCase(Locale.ROOT).startsWith("http://")) {
      pipeline.handle(request);
    } else {
      refuse(request, unrouted, "", null, ProxyError.of(ErrorCode.NOT_PROXY_REQUEST), Map.of());
    }
  }

  /** Verifies the {@code CONNECT}'s token (a new one off the event loop), then goes on. */
  private void connect(HttpServerRequest request, RecordOutcome.Unrouted asked) {
    String tokenText;
    try {
      tokenText = ProxyCredentials.tokenText(request.headers());
    } catch (ProxyException e) {
      refuse(request, asked, "", null, e.error(), e.headers());
      return;
    }
    ProxyCredentials.verify(verifier, newTokens, tokenText, ProxyCredentials::challenge)
        .onSuccess(token -> connect(request, asked, tokenText, token))
        .onFailure(failure -> {
          ProxyException e = (ProxyException) failure;
          refuse(request, asked, "", null, e.error(), e.headers());
        });
  }

  private void connect(HttpServerRequest request, RecordOutcome.Unrouted asked,
      String tokenText, PlatformToken token) {
    Target target;
    RecordOutcome.Unrouted unrouted = asked.withAgent(token.agent(), token.tenant(), token.jti());
    try {
      target = Targets.parseExplicit(request.uri() + "/", null);
    } catch (BadTargetException e) {
      refuse(request, unrouted, "", null, ErrorCode.BAD_TARGET.exception(e.getMessage()).error(),
          Map.of());
      return;
    }
    PolicySet policy = policies.get();
    ForwardPlan plan = policy.forwardPlan(token.agent(), token.tenant(), token.groups(), "https",
        target.host(), target.port());
    if (plan.kind() == ForwardPlan.Kind.REFUSE) {
      refuse(request, unrouted, target.host(), plan.decision(), ProxyError.of(plan.decision()),
          Map.of());
      return;
    }
    TunnelGuard.Slot slot;
    try {
      slot = guard.admit(token.tenant(), token.agent());
    } catch (ProxyException e) {
      refuse(request, unrouted, target.host(), null, e.error(), Map.of());
      return;
    }
    if (plan.kind() == ForwardPlan.Kind.INTERCEPT) {
      intercept(request, unrouted, tokenText, token, target, policy, slot);
    } else {
      tunnel(request, unrouted, target, policy, plan, slot);
    }
  }

  /**
   * Joins the agent to the intercepting TLS server, as a tunnel registered for the address
   * Keyward's own connection to it comes from. A tunnel that ends before a TLS handshake completes
   * inside it is audited ({@code tls_handshake_failed}; {@code host_mismatch} when the handshake
   * named another host).
   */
  private void intercept(HttpServerRequest request, RecordOutcome.Unrouted unrouted,
      String tokenText, PlatformToken token, Target target, PolicySet policy,
      TunnelGuard.Slot slot) {
    client.connect(SocketAddress.inetSocketAddress(interceptingPort.getAsInt(), "127.0.0.1"))
        .onFailure(failure -> {
          slot.release();
          refuse(request, unrouted, target.host(), null,
              ProxyError.of(ErrorCode.INTERNAL_ERROR), Map.of());
        })
        .onSuccess(inner -> {
          Tunnels.Inner from = Tunnels.Inner.of(inner.localAddress());
          Tunnel tunnel = new Tunnel(tokenText, token, target.host(), target.port(),
              requested -> record.connection(unrouted, target.host(), policy.version(), null,
                  ErrorCode.HOST_MISMATCH.status(), ErrorCode.HOST_MISMATCH.exception(
                      "the TLS handshake named " + requested + " inside a CONNECT to "
                          + target.host()).error(), 0, 0));
          try {
            tunnels.register(from, tunnel);
          } catch (IllegalStateException | NullPointerException e) {
            inner.close();
            slot.release();
            refuse(request, unrouted, target.host(), null,
                ProxyError.of(ErrorCode.INTERNAL_ERROR), Map.of());
            return;
          }
          request.toNetSocket()
              .onFailure(failure -> {
                tunnels.remove(from);
                inner.close();
                slot.release();
              })
              .onSuccess(agent -> Splice.join(agent, inner, slot, (in, out) -> {
                tunnels.remove(from);
                if (!tunnel.claimed() && !tunnel.serverNameWasRefused()) {
                  record.connection(unrouted, target.host(), policy.version(), null,
                      ErrorCode.TLS_HANDSHAKE_FAILED.status(),
                      ErrorCode.TLS_HANDSHAKE_FAILED.exception().error(), in, out);
                }
              }));
        });
  }

  /** Connects to the host as the SSRF guard allows, then passes bytes untouched both ways. */
  private void tunnel(HttpServerRequest request, RecordOutcome.Unrouted unrouted, Target target,
      PolicySet policy, ForwardPlan plan, TunnelGuard.Slot slot) {
    Future<NetSocket> upstream = addresses.resolve(target.host(), target.port(),
            address -> policy.decideForwardAddress(plan, address))
        .compose(address -> client.connect(SocketAddress.inetSocketAddress(address)));
    upstream.onFailure(failure -> {
      slot.release();
      ProxyException mapped = failure instanceof ProxyException e ? e
          : UpstreamFailures.map(failure);
      Decision denial = mapped.denial().orElse(plan.decision());
      refuse(request, unrouted, target.host(), denial, mapped.error(), Map.of());
    });
    upstream.onSuccess(socket -> {
      request.toNetSocket()
          .onFailure(failure -> {
            socket.close();
            slot.release();
          })
          .onSuccess(agent -> Splice.join(agent, socket, slot, (in, out) -> record.connection(
              unrouted, target.host(), policy.version(), plan.decision(), 200, null, in, out)));
    });
  }

  private void refuse(HttpServerRequest request, RecordOutcome.Unrouted unrouted, String host,
      Decision decision, ProxyError error, Map<String, String> headers) {
    if (request.method() == HttpMethod.CONNECT) {
      slowClients.requestArrived(request);
    }
    ErrorResponses.send(request.response(), error, unrouted.requestId(), headers);
    PolicySet policy = policies.get();
    record.connection(unrouted, host, policy.version(), decision, error.status(), error, 0, 0);
  }
}
