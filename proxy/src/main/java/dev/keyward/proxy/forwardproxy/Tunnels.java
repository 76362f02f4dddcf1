package dev.keyward.proxy.forwardproxy;

import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The intercepted tunnels open now, by the local address and port of Keyward's own connection
 * that carries each one to the intercepting TLS server (on loopback): the address that server
 * sees the connection come from. That server serves only connections registered here, and each
 * tunnel only on the first connection that claims it: anything else that reaches its port (another
 * process on the machine, from another loopback address or after the tunnel's connection closed)
 * is closed unanswered.
 */
final class Tunnels {

  /** Where Keyward's connection to the intercepting server comes from: host (an IP) and port. */
  record Inner(String host, int port) {

    static Inner of(SocketAddress address) {
      return address == null || address.hostAddress() == null ? null
          : new Inner(address.hostAddress(), address.port());
    }
  }

  private final Map<Inner, Tunnel> byInner = new ConcurrentHashMap<>();

  void register(Inner inner, Tunnel tunnel) {
    if (byInner.putIfAbsent(inner, tunnel) != null) {
      // The kernel never gives two open connections one address; a stale entry is not reused.
      throw new IllegalStateException("a tunnel is already registered for " + inner);
    }
  }

  void remove(Inner inner) {
    byInner.remove(inner);
  }

  /** The tunnel registered for a connection from {@code host:port}; or null. */
  Tunnel byInner(String host, int port) {
    return host == null ? null : byInner.get(new Inner(host, port));
  }

  /**
   * Binds a new connection to the intercepting server to its tunnel: true when the connection
   * comes from a registered tunnel's address and is the first (or the same) to claim it.
   */
  boolean claim(HttpConnection connection) {
    Inner inner = Inner.of(connection.remoteAddress());
    Tunnel tunnel = inner == null ? null : byInner.get(inner);
    return tunnel != null && tunnel.claim(connection);
  }

  /**
   * The tunnel a request on the intercepting server came through: the one its connection claimed;
   * null for any other request.
   */
  Tunnel of(HttpServerRequest request) {
    if (!request.isSSL()) {
      return null;
    }
    Inner inner = Inner.of(request.connection().remoteAddress());
    Tunnel tunnel = inner == null ? null : byInner.get(inner);
    return tunnel != null && tunnel.claimedBy(request.connection()) ? tunnel : null;
  }

  int size() {
    return byInner.size();
  }
}
