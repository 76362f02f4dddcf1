package dev.keyward.proxy.http;

import dev.keyward.proxy.RequestIds;
import dev.keyward.proxy.error.ErrorCode;
import dev.keyward.proxy.error.ErrorResponses;
import dev.keyward.proxy.error.ProxyError;
import dev.keyward.proxy.stage.RecordOutcome;
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

  private final RecordOutcome recordOutcome;

  public InvalidRequests(RecordOutcome recordOutcome) {
    this.recordOutcome = recordOutcome;
  }

  @Override
  public void handle(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    ErrorCode code = cause instanceof TooLongHttpHeaderException ? ErrorCode.HEADERS_TOO_LARGE
        : cause instanceof TooLongHttpLineException ? ErrorCode.URI_TOO_LONG
        : ErrorCode.BAD_REQUEST;
    // The request line may be what was too long or broken: its method and path are not kept.
    RecordOutcome.Unrouted unrouted =
        RecordOutcome.Unrouted.of(RequestIds.newId(), System.nanoTime(), "", "");
    ProxyError error = ProxyError.of(code);
    ErrorResponses.send(request.response(), error, unrouted.requestId(),
        Map.of("Connection", "close"));
    recordOutcome.unrouted(unrouted, error.status(), error);
  }
}
