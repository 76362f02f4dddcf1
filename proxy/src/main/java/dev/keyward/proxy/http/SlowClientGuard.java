package dev.keyward.proxy.http;

import dev.keyward.proxy.http.Deadlines.Deadline;
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
 * the header size limit; time by this. Each connection has one deadline, set again after each
 * response.
 */
public final class SlowClientGuard {

  private final Deadlines deadlines;
  private final long timeoutNanos;
  private final Duration timeout;
  private final Map<HttpConnection, Deadline> waiting = new ConcurrentHashMap<>();

  public SlowClientGuard(Vertx vertx, Duration headerTimeout) {
    this.deadlines = new Deadlines(vertx);
    this.timeout = headerTimeout;
    this.timeoutNanos = headerTimeout.toNanos();
  }

  /** For the server's connection handler: starts waiting for the first request head. */
  public void connected(HttpConnection connection) {
    waiting.put(connection, deadlines.after(timeout, connection::close));
    connection.closeHandler(v -> {
      Deadline deadline = waiting.remove(connection);
      if (deadline != null) {
        deadline.cancel();
      }
    });
  }

  /** For the request handler: a complete head arrived; wait again once its response ends. */
  public void requestArrived(HttpServerRequest request) {
    Deadline deadline = waiting.get(request.connection());
    if (deadline != null) {
      deadline.cancel();
      request.response().endHandler(v -> deadline.restart(timeoutNanos));
    }
  }

  /**
   * For a {@code CONNECT} the forward proxy answered: the connection is a tunnel from now on, with
   * no further request heads to wait for.
   */
  public void tunnelled(HttpConnection connection) {
    Deadline deadline = waiting.get(connection);
    if (deadline != null) {
      deadline.cancel();
    }
  }
}
