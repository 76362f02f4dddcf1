package dev.keyward.proxy.stage;

import dev.keyward.proxy.call.Call;
import dev.keyward.proxy.call.Interceptor;
import dev.keyward.proxy.http.Bodies;
import io.vertx.core.Future;

/**
 * On a route with targets the request body is read whole, within the route's limit, before the
 * first attempt: each target that is tried gets it again. (On an LLM endpoint the LLM interceptor
 * has read it already; this comes after it.) Routes with one upstream stream it instead.
 */
public final class ReplayableBody implements Interceptor {

  @Override
  public Future<Void> onRequest(Call call) {
    if (call.plan() == null || call.body() != null) {
      return CONTINUE;
    }
    int limit = (int) Math.min(Integer.MAX_VALUE, call.maxRequestBody());
    return Bodies.read(call.request(), limit).map(body -> {
      call.body(body);
      return null;
    });
  }
}
