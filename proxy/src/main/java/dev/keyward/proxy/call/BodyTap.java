package dev.keyward.proxy.call;

import dev.keyward.proxy.error.ProxyError;
import dev.keyward.proxy.error.ProxyException;
import io.vertx.core.buffer.Buffer;
import java.util.Objects;

/**
 * One step a body passes through on its way, chunk by chunk: decoding, redaction, usage metering.
 * A tap may hold bytes back (a partial match, an unfinished event) and release them later; it may
 * refuse a chunk by throwing, which ends the stream; or end the body early but whole by throwing
 * {@link Stop}.
 */
public interface BodyTap {

  /**
   * Ends the body cleanly before its source did: {@code last} (which passes through the taps
   * after this one) is sent, the body ends, and the source is let go. For a stream the policy stops
   * mid-way, whose last bytes say so in the stream's own format.
   */
  final class Stop extends Exception {
    private final transient Buffer last;
    private final transient ProxyError why;

    public Stop(Buffer last, ProxyError why) {
      super(why.code(), null, false, false);
      this.last = Objects.requireNonNull(last, "last");
      this.why = why;
    }

    public Buffer last() {
      return last;
    }

    /** Why the body was stopped. */
    public ProxyError why() {
      return why;
    }
  }

  /** The bytes to pass on for {@code chunk} (possibly none, possibly more than it). */
  Buffer chunk(Buffer chunk) throws ProxyException, Stop;

  /** Whatever was held back, at the end of a complete body. */
  default Buffer end() throws ProxyException {
    return Buffer.buffer();
  }
}
