package dev.keyward.proxy.call;

import dev.keyward.llm.Cost;
import dev.keyward.llm.LlmRequest;
import dev.keyward.llm.RewrittenRequest;
import dev.keyward.llm.Usage;
import dev.keyward.llm.UsageMeter;
import dev.keyward.policies.Decision;
import dev.keyward.policies.ForwardPlan;
import dev.keyward.policies.PolicySet;
import dev.keyward.policies.Route;
import dev.keyward.policies.RouteTarget;
import dev.keyward.policies.Target;
import dev.keyward.proxy.error.ProxyError;
import dev.keyward.token.PlatformToken;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One agent request as it moves through the interceptors: what is known about it, each fact set
 * once by the interceptor that owns it (setting one twice is a bug, and throws). Confined to the
 * request's event loop. Holds no secret and no token text, so it can be read by every stage and
 * printed into the audit record.
 */
public final class Call {

  private final HttpServerRequest request;
  private final String requestId;
  private final long startNanos;
  private final PolicySet policy;

  private PlatformToken token;
  private ForwardPlan forward;
  private Target target;
  private Optional<Route> route = Optional.empty();
  private RouteTarget through;
  private String credentialId = "";
  private long maxRequestBody = Long.MAX_VALUE;
  private Decision decision;
  private Buffer body;
  private LlmRequest llmRequest;
  private RewrittenRequest rewritten;
  private UsageMeter meter;
  private String requestedModel;
  private String model;
  private Usage usage;
  private Cost cost;

  private ProxyError stoppedBy;

  private List<Attempt> plan;
  private Attempt attempt;
  private int attemptsReached;
  private boolean sending;
  private long overheadNanos;
  private long bytesIn;
  private long bytesOut;

  public Call(HttpServerRequest request, String requestId, long startNanos, PolicySet policy) {
    this.request = request;
    this.requestId = requestId;
    this.startNanos = startNanos;
    this.policy = policy;
  }

  private static <T> T once(T current, T value, String what) {
    if (current != null) {
      throw new IllegalStateException(what + " is already set");
    }
    return Objects.requireNonNull(value, what);
  }

  /** The agent's request (headers, path, body stream). */
  public HttpServerRequest request() {
    return request;
  }

  public String requestId() {
    return requestId;
  }

  public long startNanos() {
    return startNanos;
  }

  public String method() {
    return request.method().name();
  }

  /** The policy in force when the call started; it decides the whole call. */
  public PolicySet policy() {
    return policy;
  }

  /** The verified platform token; null until authenticated. */
  public PlatformToken token() {
    return token;
  }

  public void token(PlatformToken value) {
    token = once(token, value, "token");
  }

  /**
   * The forward proxy's plan for the host the call goes to (it came through the forward-proxy
   * port); null on the reverse path.
   */
  public ForwardPlan forward() {
    return forward;
  }

  public void forward(ForwardPlan plan) {
    forward = once(forward, plan, "forward plan");
  }

  /**
   * Where the call goes: a route's upstream (or an explicit target), with which credential, and
   * how large a body it may send. On a route with targets the target is the first one's and the
   * credential is empty: each attempt has its own ({@link #plan()}); a forward-proxy call through
   * one of its targets ({@link #through()}) has that target's.
   */
  public void resolved(Optional<Route> viaRoute, Target value, String credential, long maxBody) {
    target = once(target, value, "target");
    route = viaRoute;
    credentialId = credential;
    maxRequestBody = maxBody;
  }

  /** The upstream target; null until resolved. */
  public Target target() {
    return target;
  }

  /** The route, or empty for an explicit target. */
  public Optional<Route> route() {
    return route;
  }

  /**
   * On a forward-proxy call to one target of a route with targets, that target: the call goes
   * through it alone (its model map, its first-byte timeout), never on to another, since the tool
   * chose the host; null otherwise.
   */
  public RouteTarget through() {
    return through;
  }

  public void through(RouteTarget target) {
    through = once(through, target, "target of the route");
  }

  public String routeName() {
    return route.map(Route::name).orElse("");
  }

  /** The credential of the route or explicit target; empty on a route with targets. */
  public String credentialId() {
    return credentialId;
  }

  public long maxRequestBody() {
    return maxRequestBody;
  }

  /** The policy's decision for the agent, the credential and the target; null until decided. */
  public Decision decision() {
    return decision;
  }

  public void decision(Decision value) {
    decision = once(decision, value, "decision");
  }

  /** The version of the key the current attempt sent; 0 before it was unsealed. */
  public int credentialVersion() {
    return attempt == null ? 0 : attempt.credentialVersion();
  }

  /**
   * On a route with targets, one planned attempt per target in the route's order, for the
   * interceptors to decide on before any is tried; null on other routes.
   */
  public List<Attempt> plan() {
    return plan;
  }

  public void plan(List<Attempt> attempts) {
    plan = once(plan, List.copyOf(attempts), "plan");
  }

  /**
   * The attempt under way, or the one that answered the agent; null before the first, and after
   * one that did not answer ended (on a route with targets, until the next starts).
   */
  public Attempt attempt() {
    return attempt;
  }

  public void attempt(Attempt current) {
    attempt = current;
  }

  /**
   * On a route with targets, the next target's turn came (tried or skipped): returns its number,
   * 1 for the first.
   */
  public int reached(Attempt next) {
    next.number(++attemptsReached);
    return attemptsReached;
  }

  /** How many targets' turns came; 0 on a route with one upstream. */
  public int attemptsReached() {
    return attemptsReached;
  }

  /** The agent's body when it was read whole (LLM routes); null when it is streamed. */
  public Buffer body() {
    return body;
  }

  public void body(Buffer value) {
    body = once(body, value, "body");
  }

  /** The LLM request as read from the body, on an LLM call; null otherwise. */
  public LlmRequest llmRequest() {
    return llmRequest;
  }

  /** What goes upstream instead of the agent's request (the model, forced stream usage). */
  public RewrittenRequest rewritten() {
    return rewritten;
  }

  /**
   * An LLM call: the request as read, what goes upstream instead, and the models (the one the
   * agent asked for, the one sent after tiers and aliases).
   */
  public void llm(LlmRequest request, RewrittenRequest upstream, String requested) {
    llmRequest = once(llmRequest, request, "LLM request");
    rewritten = once(rewritten, upstream, "rewritten request");
    requestedModel = once(requestedModel, requested, "requested model");
    model = once(model, upstream.model(), "model");
  }

  /** What meters the response that reached the agent; null before it started. */
  public UsageMeter meter() {
    return meter;
  }

  public void meter(UsageMeter value) {
    meter = once(meter, value, "meter");
  }

  /** The model the agent asked for, on an LLM call; null otherwise. */
  public String requestedModel() {
    return requestedModel;
  }

  /**
   * The model the route sends (after tiers and aliases); null on a call that is not an LLM one.
   * On a route with targets, each attempt's own mapping may change it ({@link Attempt#model()}).
   */
  public String model() {
    return model;
  }

  /** What the call used and cost, once it ended; null on a call that was not metered. */
  public Usage usage() {
    return usage;
  }

  public Cost cost() {
    return cost;
  }

  public void metered(Usage used, Cost costed) {
    usage = once(usage, used, "usage");
    cost = once(cost, costed, "cost");
  }

  /** The response was stopped before the upstream finished it, because of {@code why}. */
  public void stopped(ProxyError why) {
    stoppedBy = once(stoppedBy, why, "stop");
  }

  /** Why the response was stopped early; empty when it was not. */
  public Optional<ProxyError> stoppedBy() {
    return Optional.ofNullable(stoppedBy);
  }

  /** True once a connection to the upstream carried (part of) the current attempt. */
  public boolean sentUpstream() {
    return attempt != null && attempt.sentUpstream();
  }

  /** The current attempt's upstream status; 0 when it never answered. */
  public int upstreamStatus() {
    return attempt == null ? 0 : attempt.upstreamStatus();
  }

  /**
   * An attempt is about to go upstream: what Keyward spent before the first one is overhead (the
   * time later ones waited on upstreams that failed is not).
   */
  public void upstreamSending(long nanos) {
    if (!sending) {
      sending = true;
      overheadNanos = nanos - startNanos;
    }
  }

  /** Time spent on the response head before it went to the agent. */
  public void headProcessed(long nanos) {
    this.overheadNanos += nanos;
  }

  /** From sending the current attempt upstream to its response head; -1 if it never answered. */
  public long upstreamLatencyNanos() {
    return attempt == null ? -1 : attempt.latencyNanos();
  }

  /** Keyward's own time: before the request went upstream, plus its work on the response head. */
  public long overheadNanos() {
    return overheadNanos;
  }

  public long bytesIn() {
    return bytesIn;
  }

  public long bytesOut() {
    return bytesOut;
  }

  public void bytes(long in, long out) {
    this.bytesIn = in;
    this.bytesOut = out;
  }
}
