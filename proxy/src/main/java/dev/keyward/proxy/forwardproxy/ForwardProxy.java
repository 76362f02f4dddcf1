package dev.keyward.proxy.forwardproxy;

import dev.keyward.policies.PolicySet;
import dev.keyward.proxy.Pipeline;
import dev.keyward.proxy.call.Interceptor;
import dev.keyward.proxy.forward.UpstreamAddresses;
import dev.keyward.proxy.http.SlowClientGuard;
import dev.keyward.proxy.stage.RecordOutcome;
import dev.keyward.proxy.tokens.NewTokenVerifications;
import dev.keyward.token.TokenVerifier;
import dev.keyward.vault.SealedCredentialCache;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.NetClientOptions;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The forward proxy's parts, for the composition root to wire: the interceptors that replace the
 * reverse path's authentication and target resolution, the intercepting TLS server's options
 * (its certificates issued per tunnel by the CA) and connection check, and the port's handler.
 */
public final class ForwardProxy {

  private final Tunnels tunnels = new Tunnels();
  private final LeafCertificates leaves;
  private final TunnelGuard guard;
  private final AtomicInteger interceptingPort = new AtomicInteger();

  public ForwardProxy(ForwardProxyCa ca, Clock clock) throws GeneralSecurityException {
    this(ca, clock, TunnelLimits.DEFAULTS);
  }

  public ForwardProxy(ForwardProxyCa ca, Clock clock, TunnelLimits limits)
      throws GeneralSecurityException {
    this.leaves = new LeafCertificates(ca, tunnels, clock);
    this.guard = new TunnelGuard(limits, clock);
  }

  /** Authenticates forward-proxy requests (in place of the reverse path's Authenticate). */
  public Interceptor authenticate(TokenVerifier verifier, NewTokenVerifications newTokens) {
    return new ProxyAuthenticate(verifier, newTokens, tunnels);
  }

  /** Resolves target and credential (placeholders) in place of the reverse path's ResolveTarget. */
  public Interceptor resolve(SealedCredentialCache cache, long defaultMaxRequestBody) {
    return new ForwardResolve(tunnels, cache, defaultMaxRequestBody);
  }

  /**
   * The intercepting TLS server: on 127.0.0.1 whatever {@code base} says, any free port,
   * certificates by tunnel. HTTP/1.1, or HTTP/2 where the agent's client offers it (ALPN).
   */
  public HttpServerOptions interceptingOptions(HttpServerOptions base, Duration handshakeTimeout) {
    // -3: one free port shared by the server's instances (-1 and -2 are the agents' ports).
    return new HttpServerOptions(base).setHost("127.0.0.1").setPort(-3).setSsl(true)
        .setKeyCertOptions(KeyCertOptions.wrap(leaves))
        .setSslHandshakeTimeout(handshakeTimeout.toMillis())
        .setSslHandshakeTimeoutUnit(java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /**
   * Closes any connection to the intercepting server that is not the first to claim a registered
   * tunnel (by the address it comes from): another local process, or a second connection.
   */
  public Handler<HttpConnection> interceptingConnections() {
    return connection -> {
      if (!tunnels.claim(connection)) {
        connection.close();
      }
    };
  }

  /** Where the intercepting server listens, once it does. */
  public void interceptingPort(int port) {
    interceptingPort.set(port);
  }

  /** The handler of the forward-proxy port. */
  public Handler<HttpServerRequest> port(Vertx vertx, Supplier<PolicySet> policies,
      TokenVerifier verifier, NewTokenVerifications newTokens, Pipeline pipeline,
      UpstreamAddresses addresses, Duration connectTimeout, SlowClientGuard slowClients,
      RecordOutcome record, BooleanSupplier draining) {
    vertx.setPeriodic(TunnelGuard.SWEEP_EVERY.toMillis(), id -> guard.sweep());
    return new ForwardProxyPort(policies, verifier, newTokens, pipeline, tunnels, guard,
        vertx.createNetClient(new NetClientOptions()
            .setConnectTimeout((int) connectTimeout.toMillis())),
        interceptingPort::get, addresses, slowClients, record, draining);
  }

  /** Tunnels open now, intercepted or passed through. */
  public int openTunnels() {
    return guard.open();
  }

  /** The intercepted tunnels' registry (for tests of the intercepting server). */
  Tunnels tunnels() {
    return tunnels;
  }
}
