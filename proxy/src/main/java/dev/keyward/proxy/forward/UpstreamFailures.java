package dev.keyward.proxy.forward;

import dev.keyward.proxy.error.ErrorCode;
import dev.keyward.proxy.error.ProxyException;
import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.StreamResetException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/** Maps what the HTTP client throws to one error code each. */
public final class UpstreamFailures {

  private UpstreamFailures() {}

  public static ProxyException map(Throwable failure) {
    if (failure instanceof ProxyException e) {
      return e;
    }
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ConnectTimeoutException || t instanceof TimeoutException) {
        return ErrorCode.UPSTREAM_TIMEOUT.exception();
      }
      if (t instanceof SSLException) {
        return ErrorCode.UPSTREAM_TLS_ERROR.exception();
      }
      if (t instanceof UnknownHostException) {
        return ErrorCode.UPSTREAM_DNS_ERROR.exception();
      }
      if (t instanceof ConnectException || t instanceof NoRouteToHostException) {
        return ErrorCode.UPSTREAM_UNREACHABLE.exception();
      }
      if (t instanceof StreamResetException || t instanceof HttpClosedException) {
        return ErrorCode.UPSTREAM_RESET.exception();
      }
    }
    return ErrorCode.UPSTREAM_UNREACHABLE.exception();
  }
}
