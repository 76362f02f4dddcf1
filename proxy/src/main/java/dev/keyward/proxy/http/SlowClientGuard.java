package dev.keyward.proxy.http;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Closes agent connections that take longer than the header timeout to send a complete request
 * head, counted from when the connection opened or its previous response ended (slowloris: a
 * client trickling header bytes to hold a connection open). Memory per connection is bounded by
 * the header size limit; time by this.
 */
public final class SlowClientGuard {

  private final Vertx vertx;
  private final long timeoutMillis;
  private final Map<HttpConnection, Long> timers = new ConcurrentHashMap<>();

  public SlowClientGuard(Vertx vertx, Duration headerTimeout) {
    this.vertx = vertx;
    this.timeoutMillis = headerTimeout.toMillis();
  }

  /** For the server's connection handler: starts waiting for the first request head. */
  public void connected(HttpConnection connection) {
    arm(connection);
    connection.closeHandler(v -> disarm(connection));
  }

  /** For the request handler: a complete head arrived; wait again once its response ends. */
  public void requestArrived(HttpServerRequest request) {
    HttpConnection connection = request.connection();
    disarm(connection);
    request.response().endHandler(v -> arm(connection));
  }

  /**
   * For a {@code CONNECT} the forward proxy answered: the connection is a tunnel from now on, with
   * no further request heads to wait for.
   */
  public void tunnelled(HttpConnection connection) {
    disarm(connection);
  }

  private void arm(HttpConnection connection) {
    long timer = vertx.setTimer(timeoutMillis, id -> {
      timers.remove(connection);
      connection.close();
    });
    Long previous = timers.put(connection, timer);
    if (previous != null) {
      vertx.cancelTimer(previous);
    }
  }

  private void disarm(HttpConnection connection) {
    Long timer = timers.remove(connection);
    if (timer != null) {
      vertx.cancelTimer(timer);
    }
  }
}
