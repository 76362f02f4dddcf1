package dev.keyward.proxy.call;

import dev.keyward.llm.routing.CircuitBreaker;
import dev.keyward.policies.Decision;
import dev.keyward.policies.RouteTarget;
import dev.keyward.policies.Target;
import dev.keyward.proxy.budget.BudgetDecision;
import dev.keyward.proxy.error.ProxyError;
import dev.keyward.proxy.error.ProxyException;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One try of a call against one upstream: where it goes, with which credential, headers and body,
 * and what its response passes through on the way back; and what became of it (the key version
 * used, the budget reservation, the upstream's status). Built by the interceptors' {@code
 * onAttempt}, sent by the upstream call, relayed to the agent through its response taps. A route
 * with one upstream makes one attempt per call; a route with targets plans one per target ({@link
 * #via()}) and tries them in turn until one answers. Confined to the call's event loop.
 */
public final class Attempt {

  /** How an attempt of a route with targets ended without answering the agent. */
  public enum Ending {
    /** Not sent: refused by the policy or a budget, its circuit open, its key not stored. */
    SKIPPED("skipped"),
    /** Sent, and the upstream failed: no connection, no answer in time, 429, 5xx, 401-403. */
    FAILED("failed");

    private final String wireName;

    Ending(String wireName) {
      this.wireName = wireName;
    }

    /** As the audit record writes it. */
    public String wireName() {
      return wireName;
    }
  }

  private final RouteTarget via;
  private final Target planned;
  private final String credentialId;
  private Target target;
  private Decision decision;
  private String model;
  private Duration firstByteTimeout;
  private MultiMap headers = MultiMap.caseInsensitiveMultiMap();
  private Buffer body;
  private final List<BodyTap> responseTaps = new ArrayList<>();
  private final Map<String, String> responseHeaders = new LinkedHashMap<>();
  private ResponseRedaction redaction = ResponseRedaction.NONE;
  private final List<Runnable> cleanups = new ArrayList<>();

  private int credentialVersion;
  private BudgetDecision budget;
  private long outputCap = Long.MAX_VALUE;
  private ProxyError outputCapPassed;
  private boolean sentUpstream;
  private long sentNanos;
  private int upstreamStatus;
  private long latencyNanos = -1;

  private CircuitBreaker.Permit permit;
  private long startedAtMillis;
  private Ending ending;
  private ProxyException endedBy;
  private boolean answered;
  private boolean brokeMidStream;
  private Buffer closingEvent;
  private int number;

  /** The one attempt of a call on a route with one upstream, or to an explicit target. */
  public Attempt(Target target, String credentialId, Decision decision, String model) {
    this.via = null;
    this.planned = Objects.requireNonNull(target, "target");
    this.target = target;
    this.credentialId = credentialId;
    this.decision = decision;
    this.model = model;
  }

  /** The planned attempt of one target of a route with targets, for one request. */
  public Attempt(RouteTarget via, Target target) {
    this.via = Objects.requireNonNull(via, "via");
    this.planned = Objects.requireNonNull(target, "target");
    this.target = target;
    this.credentialId = via.credentialId();
    this.firstByteTimeout = via.firstByteTimeout();
  }

  /**
   * The one attempt of a forward-proxy call through one target of a route with targets ({@link
   * Call#through()}): that target's credential and first-byte timeout, and no target after it.
   */
  public Attempt(RouteTarget via, Target target, Decision decision, String model) {
    this(via, target);
    this.decision = decision;
    this.model = model;
  }

  /**
   * The route's target this attempt tries; null on a route with one upstream or an explicit
   * target.
   */
  public RouteTarget via() {
    return via;
  }

  /** Where the attempt goes as planned, before any interceptor rewrote it (for the audit). */
  public Target planned() {
    return planned;
  }

  public Target target() {
    return target;
  }

  public void target(Target next) {
    this.target = next;
  }

  /** The credential whose key this attempt sends. */
  public String credentialId() {
    return credentialId;
  }

  /** The policy's decision for this attempt's credential and target; null until decided. */
  public Decision decision() {
    return decision;
  }

  public void decision(Decision value) {
    this.decision = value;
  }

  /** The model this attempt sends, on an LLM call; null otherwise. */
  public String model() {
    return model;
  }

  public void model(String value) {
    this.model = value;
  }

  /** How long the upstream may take to start answering; null: the configured default. */
  public Duration firstByteTimeout() {
    return firstByteTimeout;
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

  /** The version of the stored key that was sent; 0 until the key was unsealed. */
  public int credentialVersion() {
    return credentialVersion;
  }

  public void credentialVersion(int version) {
    this.credentialVersion = version;
  }

  /** What the budgets said about this attempt; null when none applies (or not asked yet). */
  public BudgetDecision budget() {
    return budget;
  }

  public void budget(BudgetDecision value) {
    if (budget != null) {
      throw new IllegalStateException("the attempt's budget decision is already set");
    }
    budget = Objects.requireNonNull(value, "budget");
  }

  /**
   * Caps the output of the response: a stream whose metered output passes {@code tokens} is
   * stopped with a final error event, and the call ends cut with {@code ifPassed} (a budget's
   * reservation holds that much output and no more).
   */
  public void capOutput(long tokens, ProxyError ifPassed) {
    if (outputCapPassed != null) {
      throw new IllegalStateException("the output cap is already set");
    }
    outputCap = tokens;
    outputCapPassed = Objects.requireNonNull(ifPassed, "ifPassed");
  }

  /** The most output tokens the response may carry; {@code Long.MAX_VALUE} when uncapped. */
  public long outputCap() {
    return outputCap;
  }

  /** The refusal of a response that passes {@link #outputCap()}; null when uncapped. */
  public ProxyError outputCapPassed() {
    return outputCapPassed;
  }

  /**
   * True once a connection to the upstream carried (part of) the request: from then on the
   * provider may have acted on it, and billed it.
   */
  public boolean sentUpstream() {
    return sentUpstream;
  }

  /** A connection to the upstream is about to carry the request. */
  public void sendingOnConnection() {
    sentUpstream = true;
  }

  /** The request is about to go upstream. */
  public void sending(long nanos) {
    sentNanos = nanos;
  }

  /** The upstream's response head arrived. */
  public void answered(int status, long nanos) {
    upstreamStatus = status;
    latencyNanos = nanos - sentNanos;
  }

  /** The upstream's status; 0 when it never answered. */
  public int upstreamStatus() {
    return upstreamStatus;
  }

  /** From sending upstream to its response head; -1 if it never answered. */
  public long latencyNanos() {
    return latencyNanos;
  }

  /** What the target's circuit allowed, and when the try started (by the routing clock). */
  public void routing(CircuitBreaker.Permit value, long startedAt) {
    permit = value;
    startedAtMillis = startedAt;
  }

  /** What the target's circuit allowed this attempt; null before it was asked. */
  public CircuitBreaker.Permit permit() {
    return permit;
  }

  public long startedAtMillis() {
    return startedAtMillis;
  }

  /** This attempt will not answer the agent: {@code why} says what stopped it. */
  public void end(Ending how, ProxyException why) {
    if (ending != null) {
      throw new IllegalStateException("the attempt has already ended");
    }
    ending = Objects.requireNonNull(how, "how");
    endedBy = Objects.requireNonNull(why, "why");
  }

  /** How the attempt ended without answering; null while it runs, or when it answered. */
  public Ending ending() {
    return ending;
  }

  /** What stopped the attempt; null while it runs, or when it answered. */
  public ProxyException endedBy() {
    return endedBy;
  }

  /** Its response head is going to the agent: this attempt answers the call. */
  public void answering() {
    answered = true;
  }

  public boolean answered() {
    return answered;
  }

  /** The upstream (not the agent) broke the response after it had started. */
  public void brokeMidStream() {
    brokeMidStream = true;
  }

  public boolean brokenMidStream() {
    return brokeMidStream;
  }

  /**
   * The bytes that end the agent's stream when the upstream breaks it after it started: an error
   * event in the API's format. Null: the stream is reset instead.
   */
  public Buffer closingEvent() {
    return closingEvent;
  }

  public void closingEvent(Buffer event) {
    closingEvent = event;
  }

  /** Its place among the call's attempts, from 1; 0 on a route with one upstream. */
  public int number() {
    return number;
  }

  void number(int value) {
    number = value;
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
