package dev.keyward.proxy.stage;

import dev.keyward.proxy.call.Call;
import dev.keyward.proxy.call.Interceptor;
import dev.keyward.proxy.error.ProxyError;
import dev.keyward.proxy.error.ProxyException;
import dev.keyward.proxy.tokens.NewTokenVerifications;
import dev.keyward.token.PlatformToken;
import dev.keyward.token.TokenError;
import dev.keyward.token.TokenRejectedException;
import dev.keyward.token.TokenVerifier;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import java.util.List;

/**
 * The platform token. Agents send it as {@code Authorization: Bearer …} (OpenAI-style
 * SDKs) or, for SDKs that put the API key in their own header, as {@code x-api-key} (Anthropic) or
 * {@code x-goog-api-key} (Google). Exactly one of them may be present.
 *
 * <p>A token already verified is answered on the event loop from the verifier's cache; a new one
 * is checked by {@link NewTokenVerifications}, off the loop, and the call continues when it is.
 */
public final class Authenticate implements Interceptor {

  private static final String BEARER = "Bearer";
  private static final List<String> KEY_HEADERS = List.of("x-api-key", "x-goog-api-key");

  private final TokenVerifier verifier;
  private final NewTokenVerifications newTokens;

  public Authenticate(TokenVerifier verifier, NewTokenVerifications newTokens) {
    this.verifier = verifier;
    this.newTokens = newTokens;
  }

  @Override
  public Future<Void> onRequest(Call call) {
    String token;
    try {
      token = tokenFrom(call.request().headers());
      PlatformToken cached = verifier.verifyCached(token);
      if (cached != null) {
        call.token(cached);
        return CONTINUE;
      }
    } catch (ProxyException e) {
      return Future.failedFuture(e);
    } catch (TokenRejectedException e) {
      return Future.failedFuture(reject(e.error()));
    }
    return newTokens.verify(token).transform(done -> {
      if (done.succeeded()) {
        call.token(done.result());
        return CONTINUE;
      }
      return Future.failedFuture(done.cause() instanceof TokenRejectedException e
          ? reject(e.error()) : done.cause());
    });
  }

  private static String tokenFrom(MultiMap headers) throws ProxyException {
    List<String> authorization = headers.getAll("authorization");
    int sources = authorization.size();
    String found = null;
    if (!authorization.isEmpty()) {
      String value = authorization.get(0).trim();
      int space = value.indexOf(' ');
      String scheme = space < 0 ? value : value.substring(0, space);
      if (!scheme.equalsIgnoreCase(BEARER)) {
        throw reject(TokenError.INVALID_AUTH_SCHEME);
      }
      found = space < 0 ? "" : value.substring(space + 1).trim();
    }
    for (String header : KEY_HEADERS) {
      List<String> values = headers.getAll(header);
      sources += values.size();
      if (!values.isEmpty()) {
        found = values.get(0).trim();
      }
    }
    if (sources == 0) {
      throw reject(TokenError.MISSING_TOKEN);
    }
    if (sources > 1) {
      throw reject(TokenError.MALFORMED_TOKEN); // two tokens: refuse rather than pick one
    }
    if (found.isEmpty()) {
      throw reject(TokenError.EMPTY_TOKEN);
    }
    return found;
  }

  private static ProxyException reject(TokenError error) {
    return new ProxyException(ProxyError.of(error));
  }
}
