package dev.keyward.proxy.stage;

import dev.keyward.proxy.call.Call;
import dev.keyward.proxy.call.Interceptor;
import dev.keyward.proxy.error.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;

/**
 * A body announced larger than the route allows is refused before anything is read or sent. (A
 * body that turns out larger than announced, or that announces nothing, is cut where it crosses
 * the limit.)
 */
public final class DeclaredLength implements Interceptor {

  @Override
  public Future<Void> onRequest(Call call) {
    String declared = call.request().getHeader(HttpHeaders.CONTENT_LENGTH);
    if (declared == null) {
      return CONTINUE;
    }
    long length;
    try {
      length = Long.parseLong(declared.trim());
    } catch (NumberFormatException e) {
      return Future.failedFuture(ErrorCode.BAD_REQUEST.exception("invalid Content-Length"));
    }
    if (length > call.maxRequestBody()) {
      return Future.failedFuture(ErrorCode.PAYLOAD_TOO_LARGE.exception(
          "the request body may be at most " + call.maxRequestBody() + " bytes on this route"));
    }
    return CONTINUE;
  }
}
