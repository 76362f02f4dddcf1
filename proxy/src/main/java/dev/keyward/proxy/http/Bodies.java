package dev.keyward.proxy.http;

import dev.keyward.proxy.error.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;

/** Reads a small request body whole, refusing it as soon as it exceeds a limit. */
public final class Bodies {

  private Bodies() {}

  /** Fails with {@code payload_too_large} past {@code maxBytes}; never buffers more than that. */
  public static Future<Buffer> read(HttpServerRequest request, int maxBytes) {
    String declared = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (declared != null) {
      try {
        if (Long.parseLong(declared) > maxBytes) {
          return Future.failedFuture(ErrorCode.PAYLOAD_TOO_LARGE.exception(
              "the body may be at most " + maxBytes + " bytes"));
        }
      } catch (NumberFormatException e) {
        return Future.failedFuture(ErrorCode.BAD_REQUEST.exception("invalid Content-Length"));
      }
    }
    Promise<Buffer> promise = Promise.promise();
    Buffer body = Buffer.buffer();
    request.handler(chunk -> {
      if (body.length() + chunk.length() > maxBytes) {
        promise.tryFail(ErrorCode.PAYLOAD_TOO_LARGE.exception(
            "the body may be at most " + maxBytes + " bytes"));
      } else if (!promise.future().isComplete()) {
        body.appendBuffer(chunk);
      }
    });
    request.exceptionHandler(promise::tryFail);
    request.endHandler(v -> promise.tryComplete(body));
    request.resume();
    return promise.future();
  }
}
