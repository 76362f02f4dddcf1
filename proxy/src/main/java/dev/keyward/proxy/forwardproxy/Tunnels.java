package dev.keyward.proxy.forwardproxy;

import io.vertx.core.http.HttpServerRequest;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The intercepted tunnels open now, by the local port of Keyward's own connection that carries
 * each one to the intercepting TLS server (on loopback). That server serves only connections
 * registered here: anything else that reaches its port is closed unanswered.
 */
final class Tunnels {

  private final Map<Integer, Tunnel> byInnerPort = new ConcurrentHashMap<>();

  void register(int innerPort, Tunnel tunnel) {
    byInnerPort.put(innerPort, tunnel);
  }

  void remove(int innerPort) {
    byInnerPort.remove(innerPort);
  }

  /** The tunnel whose connection to the intercepting server comes from {@code port}; or null. */
  Tunnel byInnerPort(int port) {
    return byInnerPort.get(port);
  }

  /** The tunnel a request on the intercepting server came through; null for any other request. */
  Tunnel of(HttpServerRequest request) {
    return request.isSSL() && request.remoteAddress() != null
        ? byInnerPort(request.remoteAddress().port()) : null;
  }

  int size() {
    return byInnerPort.size();
  }
}
