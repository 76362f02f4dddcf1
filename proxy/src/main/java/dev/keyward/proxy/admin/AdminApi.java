package dev.keyward.proxy.admin;

import dev.keyward.proxy.RequestIds;
import dev.keyward.proxy.audit.AdminRecord;
import dev.keyward.proxy.audit.AuditSink;
import dev.keyward.proxy.config.Durations;
import dev.keyward.proxy.error.ErrorCode;
import dev.keyward.proxy.error.ErrorResponses;
import dev.keyward.proxy.error.ProxyError;
import dev.keyward.proxy.health.Health;
import dev.keyward.proxy.metrics.Metrics;
import dev.keyward.token.OperatorToken;
import dev.keyward.token.Purpose;
import dev.keyward.token.Role;
import dev.keyward.token.TokenRejectedException;
import dev.keyward.token.TokenVerifier;
import dev.keyward.vault.CredentialSpec;
import dev.keyward.vault.Secret;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API: operators' and auditors' HTTP interface, on its own listener. Every call needs an
 * operator token; {@link Role#AUDITOR} may only read. Every call, allowed or refused, is recorded
 * in the audit trail with the operator's identity. Operations run on worker threads.
 */
public final class AdminApi {

  /** Request bodies are small JSON documents (a policy to check is the largest). */
  public static final int MAX_BODY = 1024 * 1024;
  static final String OPENAPI_RESOURCE = "/dev/keyward/proxy/admin/openapi.json";
  private static final Logger LOG = LoggerFactory.getLogger(AdminApi.class);
  private static final String BEARER = "Bearer ";

  /** What a route needs: any operator token, or one with the operator role. */
  enum Access {
    READ,
    WRITE
  }

  /** One admin call, running on a worker thread. */
  @FunctionalInterface
  interface Action {
    Object run(Call call) throws OperationException;
  }

  private final Vertx vertx;
  private final Router router;
  private final Operations operations;
  private final TokenVerifier verifier;
  private final AuditSink audit;
  private final Clock clock;
  private final Buffer openApi;
  private final Supplier<JsonArray> targets;

  /**
   * @param health answers {@code /readyz}; {@code /healthz}, {@code /readyz} and {@code /metrics}
   *     need no token (probes and Prometheus) and are not audited
   * @param targets this instance's view of the targets of routes with targets: circuits and
   *     latency ({@code GET /v1/targets})
   */
  public AdminApi(Vertx vertx, Operations operations, TokenVerifier verifier, AuditSink audit,
      Clock clock, Health health, Metrics metrics, Supplier<JsonArray> targets) {
    this.vertx = vertx;
    this.targets = targets;
    this.operations = operations;
    this.verifier = verifier;
    this.audit = audit;
    this.clock = clock;
    this.openApi = openApiDocument();
    this.router = Router.router(vertx);
    // Only the API's own bodies: the console reads its forms itself (a key must not become a
    // form attribute string).
    router.route("/v1/*").handler(BodyHandler.create(false).setBodyLimit(MAX_BODY));
    router.get("/openapi.json").handler(ctx -> ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(openApi));
    router.get("/healthz").handler(ctx -> ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(new JsonObject().put("status", "alive").encode()));
    router.get("/readyz").handler(ctx -> {
      JsonObject readiness = health.readiness();
      ctx.response()
          .setStatusCode(readiness.getBoolean("ready") ? 200 : 503)
          .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
          .end(readiness.encode());
    });
    // A scrape reads the process's CPU figures from cgroup files: off the event loop.
    router.get("/metrics").blockingHandler(PrometheusScrapingHandler.create(metrics.registry()),
        false);
    routes();
    router.errorHandler(404, ctx -> fail(ctx, ErrorCode.NOT_FOUND.status(), "not_found",
        "no such admin endpoint; see GET /openapi.json"));
    router.errorHandler(405, ctx -> fail(ctx, 405, ErrorCode.METHOD_NOT_SUPPORTED.code(),
        ErrorCode.METHOD_NOT_SUPPORTED.message()));
    router.errorHandler(413, ctx -> fail(ctx, 413, ErrorCode.PAYLOAD_TOO_LARGE.code(),
        "admin request bodies are limited to " + MAX_BODY / 1024 + " KiB"));
    router.errorHandler(500, ctx -> {
      LOG.error("admin API failure on {} {}: {}", ctx.request().method(), ctx.normalizedPath(),
          ctx.failure() == null ? "" : ctx.failure().getClass().getName());
      fail(ctx, 500, ErrorCode.INTERNAL_ERROR.code(), ErrorCode.INTERNAL_ERROR.message());
    });
  }

  /** The router, to mount on the admin listener (metrics and health are added beside). */
  public Router router() {
    return router;
  }

  private void routes() {
    route(HttpMethod.GET, "/v1/credentials", "credential.list", Access.READ,
        call -> operations.listCredentials(Optional.ofNullable(call.query("tenant"))));
    route(HttpMethod.POST, "/v1/credentials", "credential.create", Access.WRITE, call -> {
      JsonObject body = call.body();
      call.resource("credential:" + body.getValue("tenant", "default") + "/"
          + body.getValue("id"));
      try (Secret secret = call.secret(body)) {
        return operations.createCredential(call.spec(body), secret, call.operatorName());
      }
    });
    route(HttpMethod.GET, "/v1/credentials/:tenant/:id", "credential.history", Access.READ,
        call -> operations.credentialHistory(call.param("tenant"), call.param("id")));
    route(HttpMethod.POST, "/v1/credentials/:tenant/:id/rotate", "credential.rotate", Access.WRITE,
        call -> {
          try (Secret secret = call.secret(call.body())) {
            return operations.rotateCredential(call.param("tenant"), call.param("id"), secret,
                call.operatorName());
          }
        });
    route(HttpMethod.POST, "/v1/credentials/:tenant/:id/rollback", "credential.rollback",
        Access.WRITE, call -> operations.rollbackCredential(call.param("tenant"),
            call.param("id"), call.intField(call.body(), "to_version"), call.operatorName()));
    route(HttpMethod.POST, "/v1/credentials/:tenant/:id/disable", "credential.disable",
        Access.WRITE, call -> operations.setCredentialDisabled(call.param("tenant"),
            call.param("id"), true, call.operatorName()));
    route(HttpMethod.POST, "/v1/credentials/:tenant/:id/enable", "credential.enable",
        Access.WRITE, call -> operations.setCredentialDisabled(call.param("tenant"),
            call.param("id"), false, call.operatorName()));
    route(HttpMethod.DELETE, "/v1/credentials/:tenant/:id/versions/:version",
        "credential.destroy_version", Access.WRITE, call -> operations.destroyCredentialVersion(
            call.param("tenant"), call.param("id"), call.intParam("version"),
            call.operatorName()));
    route(HttpMethod.GET, "/v1/agents", "agent.list", Access.READ, call -> operations.listAgents());
    route(HttpMethod.POST, "/v1/agents", "agent.create", Access.WRITE, call -> {
      JsonObject body = call.body();
      call.resource("agent:" + body.getValue("id"));
      return operations.createAgent(call.string(body, "id"), call.string(body, "tenant"),
          call.strings(body, "groups"), call.operatorName());
    });
    route(HttpMethod.POST, "/v1/agents/:id/disable", "agent.disable", Access.WRITE,
        call -> operations.setAgentDisabled(call.param("id"), true));
    route(HttpMethod.POST, "/v1/agents/:id/enable", "agent.enable", Access.WRITE,
        call -> operations.setAgentDisabled(call.param("id"), false));
    route(HttpMethod.POST, "/v1/tokens", "token.mint", Access.WRITE, call -> {
      JsonObject body = call.body();
      call.resource("agent:" + body.getValue("agent"));
      return operations.mintToken(call.string(body, "agent"), call.string(body, "tenant"),
          call.strings(body, "groups"), call.purpose(body), call.duration(body, "ttl",
              Duration.ofMinutes(15)));
    });
    route(HttpMethod.POST, "/v1/tokens/revoke", "token.revoke", Access.WRITE, call -> {
      JsonObject body = call.body();
      call.resource("jti:" + body.getValue("jti"));
      return operations.revokeToken(call.string(body, "jti"));
    });
    route(HttpMethod.POST, "/v1/signing-keys/rotate", "signing_key.rotate", Access.WRITE,
        call -> operations.rotateSigningKey());
    route(HttpMethod.POST, "/v1/policy/reload", "policy.reload", Access.WRITE,
        call -> operations.reloadPolicy());
    route(HttpMethod.POST, "/v1/policy/check", "policy.check", Access.READ,
        call -> operations.checkPolicy("request body", call.text()));
    route(HttpMethod.GET, "/v1/audit", "audit.query", Access.READ,
        call -> operations.queryAudit(call.auditQuery()));
    route(HttpMethod.GET, "/v1/audit/report", "audit.report", Access.READ,
        call -> operations.auditReport(call.since(Duration.ofDays(7))));
    route(HttpMethod.GET, "/v1/budgets/usage", "budget.usage", Access.READ,
        call -> operations.budgetUsage(Optional.ofNullable(call.query("budget"))));
    route(HttpMethod.GET, "/v1/targets", "targets.list", Access.READ, call -> targets.get());
  }

  private void route(HttpMethod method, String path, String action, Access access, Action run) {
    router.route(method, path).handler(ctx -> handle(ctx, action, access, run));
  }

  private void handle(RoutingContext ctx, String action, Access access, Action run) {
    String requestId = RequestIds.fromAgentOrNew(ctx.request().getHeader(ErrorResponses.REQUEST_ID));
    Call call = new Call(ctx, requestId, action);
    if (!audit.accepting()) {
      // An unaudited admin action is worse than none.
      send(call, ProxyError.of(ErrorCode.AUDIT_UNAVAILABLE), false);
      return;
    }
    OperatorToken operator;
    try {
      operator = verifier.verifyOperator(bearer(ctx));
    } catch (TokenRejectedException e) {
      send(call, ProxyError.of(e.error()), true);
      return;
    }
    call.operator = operator;
    if (access == Access.WRITE && operator.role() != Role.OPERATOR) {
      send(call, new ProxyError(OperationError.ROLE_NOT_ALLOWED.status(),
          OperationError.ROLE_NOT_ALLOWED.code(), action + " needs the operator role; "
              + operator.role().claim() + " tokens may only read"), true);
      return;
    }
    vertx.executeBlocking(() -> run.run(call), false).onComplete(done -> {
      if (done.succeeded()) {
        call.record("ok", "ok", 200);
        ctx.response()
            .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
            .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
            .putHeader(ErrorResponses.REQUEST_ID, requestId)
            .end(Buffer.buffer(encode(done.result())));
      } else if (done.cause() instanceof OperationException e) {
        send(call, new ProxyError(e.status(), e.code(), e.getMessage()), true);
      } else {
        LOG.atError().addKeyValue("request_id", requestId)
            .log("admin {} failed: {}", action, done.cause().getClass().getName());
        send(call, ProxyError.of(ErrorCode.INTERNAL_ERROR), true);
      }
    });
  }

  private void send(Call call, ProxyError error, boolean audited) {
    if (audited) {
      call.record(error.status() == 401 || error.status() == 403 ? "denied" : "failed",
          error.code(), error.status());
    }
    ErrorResponses.send(call.ctx.response(), error, call.requestId);
  }

  private static void fail(RoutingContext ctx, int status, String code, String message) {
    ErrorResponses.send(ctx.response(), new ProxyError(status, code, message),
        RequestIds.fromAgentOrNew(ctx.request().getHeader(ErrorResponses.REQUEST_ID)));
  }

  private static String bearer(RoutingContext ctx) throws TokenRejectedException {
    String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
    if (header == null) {
      throw new TokenRejectedException(dev.keyward.token.TokenError.MISSING_TOKEN);
    }
    if (!header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      throw new TokenRejectedException(dev.keyward.token.TokenError.INVALID_AUTH_SCHEME);
    }
    return header.substring(BEARER.length()).trim();
  }

  private static String encode(Object result) {
    if (result instanceof JsonObject object) {
      return object.encode();
    }
    return ((JsonArray) result).encode();
  }

  private static Buffer openApiDocument() {
    try (InputStream in = AdminApi.class.getResourceAsStream(OPENAPI_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(OPENAPI_RESOURCE + " is missing from the jar");
      }
      return Buffer.buffer(in.readAllBytes());
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + OPENAPI_RESOURCE, e);
    }
  }

  /** One admin request: its inputs, parsed with clear errors, and its audit record. */
  final class Call {
    private final RoutingContext ctx;
    private final String requestId;
    private final String action;
    private volatile OperatorToken operator;
    private volatile String resource;

    Call(RoutingContext ctx, String requestId, String action) {
      this.ctx = ctx;
      this.requestId = requestId;
      this.action = action;
      this.resource = ctx.normalizedPath();
    }

    String operatorName() {
      return operator.name();
    }

    void resource(String name) {
      this.resource = name;
    }

    void record(String outcome, String code, int status) {
      audit.record(new AdminRecord(clock.instant(), requestId,
          operator == null ? "" : operator.name(), operator == null ? "" : operator.role().claim(),
          action, resource, outcome, code, status));
    }

    String param(String name) {
      return ctx.pathParam(name);
    }

    int intParam(String name) throws OperationException {
      return parseInt(ctx.pathParam(name), name);
    }

    String query(String name) {
      return ctx.queryParams().get(name);
    }

    String text() {
      return ctx.body().available() && ctx.body().buffer() != null
          ? ctx.body().buffer().toString(StandardCharsets.UTF_8) : "";
    }

    JsonObject body() throws OperationException {
      Buffer buffer = ctx.body().buffer();
      if (buffer == null || buffer.length() == 0) {
        throw OperationException.invalid("a JSON object body is required");
      }
      try {
        return new JsonObject(buffer);
      } catch (DecodeException | ClassCastException e) {
        throw OperationException.invalid("the body is not a JSON object");
      }
    }

    String string(JsonObject body, String field) throws OperationException {
      Object value = body.getValue(field);
      if (!(value instanceof String text) || text.isEmpty()) {
        throw OperationException.invalid("'" + field + "' is required and must be a string");
      }
      return text;
    }

    int intField(JsonObject body, String field) throws OperationException {
      Object value = body.getValue(field);
      if (!(value instanceof Number number)) {
        throw OperationException.invalid("'" + field + "' is required and must be a number");
      }
      return number.intValue();
    }

    Set<String> strings(JsonObject body, String field) throws OperationException {
      Object value = body.getValue(field);
      if (value == null) {
        return Set.of();
      }
      if (!(value instanceof JsonArray array)) {
        throw OperationException.invalid("'" + field + "' must be an array of strings");
      }
      Set<String> out = new HashSet<>();
      for (Object item : array) {
        if (!(item instanceof String text)) {
          throw OperationException.invalid("'" + field + "' must be an array of strings");
        }
        out.add(text);
      }
      return out;
    }

    Optional<Purpose> purpose(JsonObject body) throws OperationException {
      Object raw = body.getValue("purpose");
      if (raw == null) {
        return Optional.empty();
      }
      String value = String.valueOf(raw);
      return Optional.of(Purpose.fromClaim(value).orElseThrow(() -> OperationException.invalid(
          "'purpose' must be conversation, heartbeat or subagent")));
    }

    Duration duration(JsonObject body, String field, Duration fallback)
        throws OperationException {
      Object value = body.getValue(field);
      try {
        return value == null ? fallback : Durations.parse(String.valueOf(value));
      } catch (IllegalArgumentException e) {
        throw OperationException.invalid("'" + field + "': " + e.getMessage());
      }
    }

    Instant since(Duration fallback) throws OperationException {
      String value = query("since");
      try {
        if (value == null) {
          return clock.instant().minus(fallback);
        }
        return value.contains("T") ? Instant.parse(value)
            : clock.instant().minus(Durations.parse(value));
      } catch (RuntimeException e) {
        throw OperationException.invalid("'since' must be a duration such as 7d or 12h, or an"
            + " ISO-8601 instant");
      }
    }

    AuditQuery auditQuery() throws OperationException {
      String limit = query("limit");
      int max = limit == null ? 1000 : parseInt(limit, "limit");
      if (max < 1 || max > AuditQuery.MAX_LIMIT) {
        throw OperationException.invalid("'limit' must be 1-" + AuditQuery.MAX_LIMIT);
      }
      return new AuditQuery(Optional.ofNullable(query("agent")),
          Optional.ofNullable(query("credential")), Optional.ofNullable(query("decision")),
          since(Duration.ofDays(1)), max);
    }

    /** The {@code secret} field; the request body's bytes are overwritten once it is read. */
    Secret secret(JsonObject body) throws OperationException {
      Object value = body.getValue("secret");
      body.remove("secret");
      Buffer buffer = ctx.body().buffer();
      buffer.setBytes(0, new byte[buffer.length()]);
      if (!(value instanceof String text) || text.isEmpty()) {
        throw OperationException.invalid("'secret' is required and must be a non-empty string");
      }
      byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
      try {
        return Secret.copyOf(bytes);
      } catch (IllegalArgumentException e) {
        throw OperationException.invalid(e.getMessage());
      } finally {
        Arrays.fill(bytes, (byte) 0);
      }
    }

    CredentialSpec spec(JsonObject body) throws OperationException {
      string(body, "id");
      if (!(body.getValue("allowed_domains") instanceof JsonArray)) {
        throw OperationException.invalid("'allowed_domains' is required and must be an array");
      }
      try {
        return CredentialJson.spec(body);
      } catch (IllegalArgumentException | NullPointerException | ClassCastException e) {
        throw OperationException.invalid("invalid credential: " + e.getMessage());
      }
    }

    private int parseInt(String value, String name) throws OperationException {
      try {
        return Integer.parseInt(value);
      } catch (NumberFormatException e) {
        throw OperationException.invalid("'" + name + "' must be a number");
      }
    }
  }
}
