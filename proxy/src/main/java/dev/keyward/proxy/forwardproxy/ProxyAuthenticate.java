package dev.keyward.proxy.forwardproxy;

import dev.keyward.proxy.call.Call;
import dev.keyward.proxy.call.Interceptor;
import dev.keyward.proxy.error.ProxyError;
import dev.keyward.proxy.error.ProxyException;
import dev.keyward.token.TokenRejectedException;
import dev.keyward.token.TokenVerifier;
import io.vertx.core.Future;

/**
 * The platform token of a forward-proxy request: for a request inside an intercepted tunnel, the
 * one its {@code CONNECT} carried, verified again (it may have expired or been revoked since:
 * {@code 401} then, as on the reverse path); for a plain-HTTP request, its own {@code
 * Proxy-Authorization} ({@code 407} without a valid one).
 */
final class ProxyAuthenticate implements Interceptor {

  private final TokenVerifier verifier;
  private final Tunnels tunnels;

  ProxyAuthenticate(TokenVerifier verifier, Tunnels tunnels) {
    this.verifier = verifier;
    this.tunnels = tunnels;
  }

  @Override
  public Future<Void> onRequest(Call call) {
    try {
      if (call.request().isSSL()) {
        Tunnel tunnel = tunnels.of(call.request());
        if (tunnel == null) {
          throw new IllegalStateException("a request on the intercepting server without a tunnel");
        }
        try {
          call.token(verifier.verify(tunnel.tokenText()));
        } catch (TokenRejectedException e) {
          throw new ProxyException(ProxyError.of(e.error()));
        }
      } else {
        call.token(ProxyCredentials.verify(verifier, call.request().headers()));
      }
      return CONTINUE;
    } catch (ProxyException e) {
      return Future.failedFuture(e);
    }
  }
}
