package dev.keyward.proxy.stage;

import dev.keyward.policies.Decision;
import dev.keyward.policies.Target;
import dev.keyward.token.PlatformToken;

/**
 * What is known about one proxied request as it moves through the stages, for the audit record and
 * the error response. Confined to the request's event loop; holds no secret and no token text.
 */
public final class Exchange {

  private final String requestId;
  private final long startNanos;
  private final String method;
  private final String policyVersion;
  private PlatformToken token;
  private String route = "";
  private Target target;
  private String credentialId = "";
  private Decision decision;
  private int credentialVersion;
  private int upstreamStatus;
  private long upstreamSentNanos;
  private long upstreamLatencyNanos = -1;
  private long bytesIn;
  private long bytesOut;
  private long maxRequestBody = Long.MAX_VALUE;

  public Exchange(String requestId, long startNanos, String method, String policyVersion) {
    this.requestId = requestId;
    this.startNanos = startNanos;
    this.method = method;
    this.policyVersion = policyVersion;
  }

  /** The version of the policy that decided this request. */
  public String policyVersion() {
    return policyVersion;
  }

  public String requestId() {
    return requestId;
  }

  public long startNanos() {
    return startNanos;
  }

  public String method() {
    return method;
  }

  public PlatformToken token() {
    return token;
  }

  void token(PlatformToken token) {
    this.token = token;
  }

  public String route() {
    return route;
  }

  public Target target() {
    return target;
  }

  public String credentialId() {
    return credentialId;
  }

  void resolved(String route, Target target, String credentialId) {
    this.route = route;
    this.target = target;
    this.credentialId = credentialId;
  }

  public Decision decision() {
    return decision;
  }

  void decision(Decision decision) {
    this.decision = decision;
  }

  /** A later check of the policy refused what an earlier one allowed (the key, the address). */
  public void denied(Decision denial) {
    this.decision = denial;
  }

  /** The largest request body the resolved route forwards. */
  public long maxRequestBody() {
    return maxRequestBody;
  }

  void maxRequestBody(long limit) {
    this.maxRequestBody = limit;
  }

  public int credentialVersion() {
    return credentialVersion;
  }

  void credentialVersion(int version) {
    this.credentialVersion = version;
  }

  public int upstreamStatus() {
    return upstreamStatus;
  }

  /** The request is about to go upstream (the clock for {@link #upstreamLatencyNanos}). */
  public void upstreamSending(long nanos) {
    this.upstreamSentNanos = nanos;
  }

  /** The upstream's response head arrived. */
  public void upstreamAnswered(int status, long nanos) {
    this.upstreamStatus = status;
    this.upstreamLatencyNanos = nanos - upstreamSentNanos;
  }

  /** From sending upstream to its response head; -1 if it never answered. */
  public long upstreamLatencyNanos() {
    return upstreamLatencyNanos;
  }

  public long bytesIn() {
    return bytesIn;
  }

  public long bytesOut() {
    return bytesOut;
  }

  public void addBytesIn(long n) {
    bytesIn += n;
  }

  public void addBytesOut(long n) {
    bytesOut += n;
  }
}
