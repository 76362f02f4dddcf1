package dev.keyward.proxy.call;

import dev.keyward.policies.Target;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One try of a call against one upstream: where it goes, with which headers and body, and what
 * its response passes through on the way back. Built by the interceptors' {@code onAttempt},
 * sent by the upstream call, relayed to the agent through its response taps. Confined to the
 * call's event loop.
 */
public final class Attempt {

  private Target target;
  private MultiMap headers = MultiMap.caseInsensitiveMultiMap();
  private Buffer body;
  private final List<BodyTap> responseTaps = new ArrayList<>();
  private final Map<String, String> responseHeaders = new LinkedHashMap<>();
  private ResponseRedaction redaction = ResponseRedaction.NONE;
  private final List<Runnable> cleanups = new ArrayList<>();

  public Attempt(Target target) {
    this.target = target;
  }

  public Target target() {
    return target;
  }

  public void target(Target next) {
    this.target = next;
  }

  /** The headers to send upstream. */
  public MultiMap headers() {
    return headers;
  }

  public void headers(MultiMap next) {
    this.headers = next;
  }

  /** The body to send, when it was read whole; null: the agent's body is streamed through. */
  public Buffer body() {
    return body;
  }

  /** Sends {@code bytes} as the body, with its {@code Content-Length}. */
  public void body(Buffer bytes) {
    this.body = bytes;
    headers.remove("Transfer-Encoding");
    headers.set("Content-Length", Integer.toString(bytes.length()));
  }

  /** The response body passes through these, in order, after it is decoded and redacted. */
  public List<BodyTap> responseTaps() {
    return responseTaps;
  }

  public void addResponseTap(BodyTap tap) {
    responseTaps.add(tap);
  }

  /** Headers Keyward adds to the response the agent gets. */
  public Map<String, String> responseHeaders() {
    return responseHeaders;
  }

  public ResponseRedaction redaction() {
    return redaction;
  }

  /** What keeps the injected secret out of the response (headers and body). */
  public void redaction(ResponseRedaction value) {
    this.redaction = value;
  }

  /** Runs {@code cleanup} when the attempt is over, however it ended. */
  public void onDone(Runnable cleanup) {
    cleanups.add(cleanup);
  }

  /** Runs the cleanups once. */
  public void done() {
    for (Runnable cleanup : cleanups) {
      cleanup.run();
    }
    cleanups.clear();
  }
}
