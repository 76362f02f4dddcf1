package dev.keyward.proxy.forward;

import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One HTTP client per event loop. A client's pool hands any of its connections to any caller, so
 * with one client shared by all loops a request arriving on one loop is often sent on a
 * connection of another: its head, body and answer then cross between the two threads (a queued
 * task and a wake-up each way). A client per loop opens its connections on that loop, so an
 * agent's request and its upstream call stay on one thread.
 *
 * <p>The clients are made here, outside any verticle, so they live as long as Vert.x (closing a
 * verticle does not cut the calls in flight on them), as the single shared client did.
 */
final class LoopClients {

  private final Vertx vertx;
  private final Map<EventExecutor, HttpClient> byLoop;
  private final HttpClient any;

  LoopClients(Vertx vertx, Supplier<HttpClient> create) {
    this.vertx = vertx;
    Map<EventExecutor, HttpClient> clients = new HashMap<>();
    for (EventExecutor loop : ((VertxInternal) vertx).nettyEventLoopGroup()) {
      clients.put(loop, create.get());
    }
    this.byLoop = Map.copyOf(clients);
    this.any = byLoop.values().iterator().next();
  }

  /** The client of the calling thread's event loop. */
  HttpClient current() {
    HttpClient client = byLoop.get(((ContextInternal) vertx.getOrCreateContext()).nettyEventLoop());
    return client != null ? client : any;
  }
}
