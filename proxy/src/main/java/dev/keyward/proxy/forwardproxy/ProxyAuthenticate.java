package dev.keyward.proxy.forwardproxy;

import dev.keyward.proxy.call.Call;
import dev.keyward.proxy.call.Interceptor;
import dev.keyward.proxy.error.ProxyError;
import dev.keyward.proxy.error.ProxyException;
import dev.keyward.proxy.tokens.NewTokenVerifications;
import dev.keyward.token.PlatformToken;
import dev.keyward.token.TokenVerifier;
import io.vertx.core.Future;

/**
 * The platform token of a forward-proxy request: for a request inside an intercepted tunnel, the
 * one its {@code CONNECT} carried, verified again (it may have expired or been revoked since:
 * {@code 401} then, as on the reverse path); for a plain-HTTP request, its own {@code
 * Proxy-Authorization} ({@code 407} without a valid one). A token not in the verifier's cache is
 * checked off the event loop ({@link NewTokenVerifications}), as on the agent port.
 */
final class ProxyAuthenticate implements Interceptor {

  private final TokenVerifier verifier;
  private final NewTokenVerifications newTokens;
  private final Tunnels tunnels;

  ProxyAuthenticate(TokenVerifier verifier, NewTokenVerifications newTokens, Tunnels tunnels) {
    this.verifier = verifier;
    this.newTokens = newTokens;
    this.tunnels = tunnels;
  }

  @Override
  public Future<Void> onRequest(Call call) {
    Future<PlatformToken> token;
    if (call.request().isSSL()) {
      Tunnel tunnel = tunnels.of(call.request());
      if (tunnel == null) {
        throw new IllegalStateException("a request on the intercepting server without a tunnel");
      }
      token = ProxyCredentials.verify(verifier, newTokens, tunnel.tokenText(),
          error -> new ProxyException(ProxyError.of(error)));
    } else {
      try {
        token = ProxyCredentials.verify(verifier, newTokens,
            ProxyCredentials.tokenText(call.request().headers()), ProxyCredentials::challenge);
      } catch (ProxyException e) {
        return Future.failedFuture(e);
      }
    }
    return token.map(verified -> {
      call.token(verified);
      return null;
    });
  }
}
