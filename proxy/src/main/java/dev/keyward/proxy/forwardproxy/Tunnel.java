package dev.keyward.proxy.forwardproxy;

import dev.keyward.token.PlatformToken;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One intercepted {@code CONNECT}: who asked (the verified token, and its text, verified again on
 * every request inside so that expiry and revocation apply to a long tunnel) and for which host
 * and port. The TLS handshake and every request inside must name that host. Never printed with
 * its token.
 */
final class Tunnel {

  private final String tokenText;
  private final PlatformToken token;
  private final String host;
  private final int port;
  private final Consumer<String> onServerNameRefused;
  private final AtomicBoolean refused = new AtomicBoolean();

  Tunnel(String tokenText, PlatformToken token, String host, int port,
      Consumer<String> onServerNameRefused) {
    this.tokenText = tokenText;
    this.token = token;
    this.host = host;
    this.port = port;
    this.onServerNameRefused = onServerNameRefused;
  }

  /** The platform token as the agent sent it in Proxy-Authorization. */
  String tokenText() {
    return tokenText;
  }

  PlatformToken token() {
    return token;
  }

  /** The CONNECT authority's host, normalised. */
  String host() {
    return host;
  }

  int port() {
    return port;
  }

  /** The client's TLS handshake named another host ({@code requested}): refused, reported once. */
  void serverNameRefused(String requested) {
    if (refused.compareAndSet(false, true)) {
      onServerNameRefused.accept(requested);
    }
  }

  @Override
  public String toString() {
    return "Tunnel[" + token.agent() + " -> " + host + ":" + port + "]";
  }
}
