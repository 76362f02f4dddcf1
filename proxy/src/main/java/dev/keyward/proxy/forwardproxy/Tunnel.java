package dev.keyward.proxy.forwardproxy;

import dev.keyward.token.PlatformToken;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * One intercepted {@code CONNECT}: who asked (the verified token, and its text, verified again on
 * every request inside so that expiry and revocation apply to a long tunnel) and for which host
 * and port. The TLS handshake and every request inside must name that host. It belongs to the
 * first connection to the intercepting server that claims it, and to no other. Never printed with
 * its token.
 */
final class Tunnel {

  private final String tokenText;
  private final PlatformToken token;
  private final String host;
  private final int port;
  private final Consumer<String> onServerNameRefused;
  private final AtomicBoolean refused = new AtomicBoolean();
  private final AtomicReference<Object> connection = new AtomicReference<>();

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

  /** Binds the tunnel to {@code claimant}: true when it is the first to claim it, or the same. */
  boolean claim(Object claimant) {
    return connection.compareAndSet(null, claimant) || connection.get() == claimant;
  }

  boolean claimedBy(Object claimant) {
    return connection.get() == claimant;
  }

  /** True once a connection completed its TLS handshake and claimed the tunnel. */
  boolean claimed() {
    return connection.get() != null;
  }

  /** True when a handshake was refused for naming another host (and already reported). */
  boolean serverNameWasRefused() {
    return refused.get();
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
