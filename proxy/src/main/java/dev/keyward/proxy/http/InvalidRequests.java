package dev.keyward.proxy.http;

import dev.keyward.proxy.RequestIds;
import dev.keyward.proxy.error.ErrorCode;
import dev.keyward.proxy.error.ErrorResponses;
import dev.keyward.proxy.error.ProxyError;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import java.util.Map;

/**
 * Requests the HTTP decoder could not parse (headers or request line too long, malformed): a JSON
 * error like every other refusal, then the connection is closed, since its framing is unknown.
 */
public final class InvalidRequests implements Handler<HttpServerRequest> {

  @Override
  public void handle(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    ErrorCode code = cause instanceof TooLongHttpHeaderException ? ErrorCode.HEADERS_TOO_LARGE
        : cause instanceof TooLongHttpLineException ? ErrorCode.URI_TOO_LONG
        : ErrorCode.BAD_REQUEST;
    ErrorResponses.send(request.response(), ProxyError.of(code), RequestIds.newId(),
        Map.of("Connection", "close"));
  }
}
