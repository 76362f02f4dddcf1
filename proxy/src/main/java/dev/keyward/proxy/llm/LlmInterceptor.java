package dev.keyward.proxy.llm;

import dev.keyward.llm.Api;
import dev.keyward.llm.Cost;
import dev.keyward.llm.Endpoint;
import dev.keyward.llm.LlmFormatException;
import dev.keyward.llm.LlmRequest;
import dev.keyward.llm.PriceTable;
import dev.keyward.llm.RewrittenRequest;
import dev.keyward.llm.StreamError;
import dev.keyward.llm.Usage;
import dev.keyward.llm.UsageMeter;
import dev.keyward.policies.Decision;
import dev.keyward.policies.LlmRoute;
import dev.keyward.policies.Route;
import dev.keyward.policies.RouteTarget;
import dev.keyward.policies.Target;
import dev.keyward.policies.Targets;
import dev.keyward.proxy.call.Attempt;
import dev.keyward.proxy.call.Call;
import dev.keyward.proxy.call.Interceptor;
import dev.keyward.proxy.call.Outcome;
import dev.keyward.proxy.error.ErrorCode;
import dev.keyward.proxy.error.ProxyError;
import dev.keyward.proxy.error.ProxyException;
import dev.keyward.proxy.http.Bodies;
import dev.keyward.proxy.metrics.Metrics;
import dev.keyward.token.Purpose;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Makes a route that declares its API ({@code api: openai | anthropic | gemini}) understand the
 * LLM calls it carries. Before anything goes upstream it reads the request body (bounded by the
 * route's limit), picks the model to send (the token purpose's tier, then the route's alias), and
 * asks the policy whether both the model asked for and the model sent are allowed. It sends the
 * rewritten body (the model, and stream usage forced on for OpenAI streams), meters the response
 * as it streams (stripping the usage chunk the agent did not ask for), and at the end prices what
 * was used: the usage and cost go to the audit record and the metrics. The pure parts (formats,
 * SSE, usage, prices) are the {@code llm} module's; this class only wires them into the call.
 */
public final class LlmInterceptor implements Interceptor {

  /** The model sent upstream, on every LLM response. */
  public static final String MODEL_HEADER = "X-Keyward-Model";

  private static final Set<HttpMethod> WRITES =
      Set.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH);

  private final PriceTable prices;
  private final Metrics metrics;

  public LlmInterceptor(PriceTable prices, Metrics metrics) {
    this.prices = prices;
    this.metrics = metrics;
  }

  @Override
  public Future<Void> onRequest(Call call) {
    Optional<Route> route = call.route();
    String limiting = limitingCredential(call, route);
    if (route.isEmpty() || !route.get().llm().understood()) {
      // Only a route that says its API has its model read: a model allowlist cannot hold here.
      return limiting != null ? denied(call.policy().modelUnreadable(limiting,
          "an explicit target")) : CONTINUE;
    }
    LlmRoute llm = route.get().llm();
    Target base = call.through() != null ? call.through().upstream() : route.get().upstream();
    String path = relativePath(base, call.target());
    Endpoint endpoint = llm.api().endpoint(call.method(), path);
    if (!endpoint.metered()) {
      return limiting != null && WRITES.contains(call.request().method())
          ? denied(call.policy().modelUnreadable(limiting,
              "a " + call.method() + " to " + path + ", which is not a model endpoint"))
          : CONTINUE;
    }
    String coding = call.request().getHeader(HttpHeaders.CONTENT_ENCODING);
    if (coding != null && !coding.trim().equalsIgnoreCase("identity")) {
      return Future.failedFuture(ErrorCode.BAD_REQUEST.exception("the request body is "
          + "compressed; send the JSON as it is on LLM routes"));
    }
    int limit = (int) Math.min(Integer.MAX_VALUE, call.maxRequestBody());
    return Bodies.read(call.request(), limit).compose(body -> {
      try {
        admit(call, route.get(), endpoint, path, body);
        return CONTINUE;
      } catch (ProxyException e) {
        return Future.failedFuture(e);
      }
    });
  }

  /**
   * The credential whose model allowlist (or the route's) applies to the call, or null when no
   * allowlist does: the route's credential, or on a route with targets the first target's that
   * has one.
   */
  private static String limitingCredential(Call call, Optional<Route> route) {
    List<Attempt> plan = call.plan();
    if (plan == null) {
      return call.policy().limitsModels(call.credentialId(), route) ? call.credentialId() : null;
    }
    for (Attempt attempt : plan) {
      if (call.policy().limitsModels(attempt.credentialId(), route)) {
        return attempt.credentialId();
      }
    }
    return null;
  }

  /** Parses the body, decides the models, and keeps what goes upstream. */
  private void admit(Call call, Route route, Endpoint endpoint, String path, Buffer body)
      throws ProxyException {
    call.body(body);
    LlmRequest request;
    try {
      request = LlmRequest.parse(endpoint, path, body.getBytes());
    } catch (LlmFormatException e) {
      throw ErrorCode.BAD_REQUEST.exception(e.getMessage());
    }
    String requested = request.model();
    String sent = route.llm().modelToSend(requested,
        call.token().purpose().map(Purpose::claim));
    if (call.plan() != null) {
      decideTargets(call, route, requested, sent);
    } else if (call.through() != null) {
      sent = decideThrough(call, route, requested, sent);
    } else {
      Decision models = call.policy().decideModel(call.credentialId(), Optional.of(route),
          requested, sent);
      if (!models.allowed()) {
        throw ProxyException.denied(models);
      }
    }
    RewrittenRequest upstream = request.rewrite(sent.equals(requested) ? null : sent,
        forcesStreamUsage(request));
    call.llm(request, upstream, requested);
  }

  /**
   * On a route with targets: the model each target sends (its own mapping of the route's choice)
   * and whether its credential and the route allow it. A target that may not is skipped when its
   * turn comes; when none may, the call is refused with the first target's refusal.
   */
  private static void decideTargets(Call call, Route route, String requested, String routeModel)
      throws ProxyException {
    boolean anyLeft = false;
    for (Attempt attempt : call.plan()) {
      if (attempt.ending() != null) {
        continue;
      }
      Optional<String> sent = attempt.via().model().toSend(routeModel);
      Decision models = call.policy().decideTargetModel(route, attempt.via(), requested,
          routeModel, sent);
      if (models.allowed()) {
        attempt.model(sent.get());
        anyLeft = true;
      } else {
        attempt.end(Attempt.Ending.SKIPPED, ProxyException.denied(models));
      }
    }
    if (!anyLeft) {
      throw call.plan().get(0).endedBy();
    }
  }

  /**
   * A forward-proxy call through one target of a route with targets: the model that target sends
   * (its own mapping of the route's choice), if it serves it and its credential and the route
   * allow it; else the call is refused.
   */
  private static String decideThrough(Call call, Route route, String requested,
      String routeModel) throws ProxyException {
    RouteTarget through = call.through();
    Optional<String> sent = through.model().toSend(routeModel);
    Decision models = call.policy().decideTargetModel(route, through, requested, routeModel,
        sent);
    if (!models.allowed()) {
      throw ProxyException.denied(models);
    }
    return sent.get();
  }

  /** OpenAI streams are asked to report their usage. */
  private static boolean forcesStreamUsage(LlmRequest request) {
    return request.api() == Api.OPENAI && request.streamed();
  }

  @Override
  public Future<Void> onAttempt(Call call, Attempt attempt) {
    RewrittenRequest upstream = call.rewritten();
    if (upstream == null) {
      if (call.body() != null) {
        attempt.body(call.body());
      }
      return CONTINUE;
    }
    String model = attempt.model();
    if (model != null && !model.equals(upstream.model())) {
      // A target of its own model: the agent's body again, with that model.
      LlmRequest request = call.llmRequest();
      upstream = request.rewrite(model.equals(request.model()) ? null : model,
          forcesStreamUsage(request));
    }
    attempt.body(upstream.bodyChanged() ? Buffer.buffer(upstream.body()) : call.body());
    if (upstream.pathChanged()) {
      Target base = attempt.via() != null ? attempt.via().upstream()
          : call.route().orElseThrow().upstream();
      Target target = attempt.target();
      attempt.target(new Target(target.scheme(), target.host(), target.port(),
          Targets.join(base.path(), upstream.path()), target.query()));
    }
    attempt.responseHeaders().put(MODEL_HEADER, upstream.model());
    return CONTINUE;
  }

  @Override
  public void onResponse(Call call, Attempt attempt, HttpClientResponse head) {
    if (call.llmRequest() == null) {
      return;
    }
    String contentType = head.getHeader(HttpHeaders.CONTENT_TYPE);
    UsageMeter meter = UsageMeter.forResponse(call.llmRequest(),
        call.rewritten().stripUsageChunk(), contentType);
    ProxyError ifCapPassed = attempt.outputCapPassed();
    if (ifCapPassed != null) {
      meter.capOutput(attempt.outputCap());
    }
    if (attempt.via() != null && UsageMeter.isEventStream(contentType)) {
      // On a route with targets a stream the upstream breaks ends between two events, with an
      // error event: nothing is retried once the answer started, and it must not look complete.
      meter.forwardWholeEvents();
      attempt.closingEvent(Buffer.buffer(StreamError.event(call.llmRequest().api(),
          ErrorCode.UPSTREAM_RESET.code(), ErrorCode.UPSTREAM_RESET.status(),
          "the upstream broke off the answer; it is incomplete")));
    }
    call.meter(meter);
    attempt.addResponseTap(new MeterTap(meter, call.llmRequest().api(), ifCapPassed));
  }

  @Override
  public void onEnd(Call call, Outcome outcome) {
    UsageMeter meter = call.meter();
    if (meter == null) {
      return; // refused or failed before any response: nothing was used
    }
    Usage usage = meter.finish(outcome.cut());
    Attempt answered = call.attempt(); // a meter is only made for the attempt that answered
    String model = answered.model() != null ? answered.model() : call.model();
    Cost cost = prices.cost(model, usage);
    if (!cost.priced() && !usage.model().isEmpty()) {
      cost = prices.cost(usage.model(), usage); // e.g. a router's "auto" names what it used
    }
    call.metered(usage, cost);
    metrics.llmCall(call.token().tenant(), answered.credentialId(),
        cost.priced() || prices.price(model).isPresent() ? model : Metrics.UNPRICED, usage, cost);
  }

  /** The target's path below its upstream base, as the API classifies it (no query). */
  static String relativePath(Target upstream, Target target) {
    String base = upstream.path();
    String path = target.path();
    String rest = base.isEmpty() || base.equals("/") ? path
        : path.startsWith(base) ? path.substring(base.length()) : path;
    return rest.isEmpty() ? "/" : rest;
  }

  private static Future<Void> denied(Decision decision) {
    return Future.failedFuture(ProxyException.denied(decision));
  }
}
