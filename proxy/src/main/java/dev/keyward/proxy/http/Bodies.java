package dev.keyward.proxy.http;

import dev.keyward.proxy.error.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;

/** Reads a small request body whole, refusing it as soon as it exceeds a limit. */
public final class Bodies {

  /**
   * Bodies declared at most this long are handled whole: read, then sent in one write with their
   * head, instead of piped chunk by chunk.
   */
  public static final int WHOLE_MAX = 32 * 1024;

  private Bodies() {}

  /**
   * Whether {@code contentLength} (a Content-Length value, or null) declares a body of at most
   * {@link #WHOLE_MAX} bytes and at most {@code limit}.
   */
  public static boolean declaresWhole(String contentLength, long limit) {
    if (contentLength == null || contentLength.isEmpty() || contentLength.length() > 6) {
      return false;
    }
    for (int i = 0; i < contentLength.length(); i++) {
      if (contentLength.charAt(i) < '0' || contentLength.charAt(i) > '9') {
        return false;
      }
    }
    int length = Integer.parseInt(contentLength);
    return length <= WHOLE_MAX && length <= limit;
  }

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
