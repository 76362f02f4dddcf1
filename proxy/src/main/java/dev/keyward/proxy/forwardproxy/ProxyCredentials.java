package dev.keyward.proxy.forwardproxy;

import dev.keyward.proxy.error.ErrorCode;
import dev.keyward.proxy.error.ProxyError;
import dev.keyward.proxy.error.ProxyException;
import dev.keyward.proxy.tokens.NewTokenVerifications;
import dev.keyward.token.PlatformToken;
import dev.keyward.token.TokenError;
import dev.keyward.token.TokenRejectedException;
import dev.keyward.token.TokenVerifier;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The platform token on the forward-proxy port, from {@code Proxy-Authorization}: Basic with the
 * token as the password ({@code HTTPS_PROXY=http://agent:TOKEN@host:port} in every tool; a token
 * given as the user with no password is taken too), or Bearer. Anything else is {@code 407}
 * with {@code Proxy-Authenticate}, so tools that wait for the challenge send their credentials.
 */
final class ProxyCredentials {

  static final String HEADER = "Proxy-Authorization";
  static final Map<String, String> CHALLENGE =
      Map.of("Proxy-Authenticate", "Basic realm=\"keyward\"");

  private ProxyCredentials() {}

  /**
   * The verified token: from the verifier's cache on the event loop, or a new token checked off
   * it by {@code newTokens} (as on the agent port), so that a cold signature check never holds up
   * the other requests of the loop. Fails only with a {@link ProxyException}: a rejected token as
   * {@code rejected} says, {@code token_verification_busy} while too many checks wait.
   */
  static Future<PlatformToken> verify(TokenVerifier verifier, NewTokenVerifications newTokens,
      String token, Function<TokenError, ProxyException> rejected) {
    try {
      PlatformToken cached = verifier.verifyCached(token);
      if (cached != null) {
        return Future.succeededFuture(cached);
      }
    } catch (TokenRejectedException e) {
      return Future.failedFuture(rejected.apply(e.error()));
    }
    return newTokens.verify(token).recover(e -> Future.failedFuture(
        e instanceof TokenRejectedException rejection ? rejected.apply(rejection.error())
            : e instanceof ProxyException ? e
            : new ProxyException(ProxyError.of(ErrorCode.INTERNAL_ERROR))));
  }

  /** A token refused on the forward-proxy port: {@code 407} with the challenge. */
  static ProxyException challenge(TokenError error) {
    return ProxyException.withHeaders(new ProxyError(407, error.code(), error.message()),
        CHALLENGE);
  }

  /** The token's text, not yet verified. */
  static String tokenText(MultiMap headers) throws ProxyException {
    List<String> values = headers.getAll(HEADER);
    if (values.size() != 1) {
      throw required(values.isEmpty() ? "send the platform token in " + HEADER
          : "send one " + HEADER + " header");
    }
    String value = values.get(0).trim();
    int space = value.indexOf(' ');
    String scheme = space < 0 ? value : value.substring(0, space);
    String credentials = space < 0 ? "" : value.substring(space + 1).trim();
    if (scheme.equalsIgnoreCase("Bearer") && !credentials.isEmpty()) {
      return credentials;
    }
    if (scheme.equalsIgnoreCase("Basic") && !credentials.isEmpty()) {
      String decoded;
      try {
        decoded = new String(Base64.getDecoder().decode(credentials), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw required("the Basic credentials are not valid base64");
      }
      int colon = decoded.indexOf(':');
      String user = colon < 0 ? decoded : decoded.substring(0, colon);
      String password = colon < 0 ? "" : decoded.substring(colon + 1);
      String token = password.isEmpty() ? user : password;
      if (!token.isEmpty()) {
        return token;
      }
    }
    throw required("use Basic credentials with the token as the password, or Bearer");
  }

  private static ProxyException required(String why) {
    return ProxyException.withHeaders(new ProxyError(407, ErrorCode.PROXY_AUTH_REQUIRED.code(),
        ErrorCode.PROXY_AUTH_REQUIRED.message() + ": " + why), CHALLENGE);
  }
}
