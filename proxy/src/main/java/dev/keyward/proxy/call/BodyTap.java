package dev.keyward.proxy.call;

import dev.keyward.proxy.error.ProxyException;
import io.vertx.core.buffer.Buffer;

/**
 * One step a body passes through on its way, chunk by chunk: decoding, redaction, usage metering.
 * A tap may hold bytes back (a partial match, an unfinished event) and release them later; it may
 * refuse a chunk by throwing, which ends the stream.
 */
public interface BodyTap {

  /** The bytes to pass on for {@code chunk} (possibly none, possibly more than it). */
  Buffer chunk(Buffer chunk) throws ProxyException;

  /** Whatever was held back, at the end of a complete body. */
  default Buffer end() throws ProxyException {
    return Buffer.buffer();
  }
}
