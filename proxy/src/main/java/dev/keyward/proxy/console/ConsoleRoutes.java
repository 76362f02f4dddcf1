package dev.keyward.proxy.console;

import dev.keyward.proxy.RequestIds;
import dev.keyward.proxy.admin.OperationError;
import dev.keyward.proxy.admin.OperationException;
import dev.keyward.proxy.audit.AdminRecord;
import dev.keyward.proxy.audit.AuditSink;
import dev.keyward.proxy.console.ConsoleSessions.Session;
import dev.keyward.token.OperatorToken;
import dev.keyward.token.Role;
import dev.keyward.token.TokenRejectedException;
import dev.keyward.token.TokenVerifier;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The console's request plumbing, shared by every page: security headers on every response, the
 * session behind the cookie (its operator token verified again each time), pages rendered on
 * worker threads, and changes that pass the same-origin and CSRF checks and the operator role
 * before they run, each audited as the operator who made it (refusals too).
 */
public final class ConsoleRoutes {

  static final String SESSION_COOKIE = "keyward_console";
  /** Largest form the console takes: a credential with its key is a few KiB. */
  static final int MAX_FORM_BYTES = 64 * 1024;
  /** No script at all: nothing an agent wrote can run, escaped or not. */
  static final String CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'self';"
      + " img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
  /** Audit code of a change refused for its origin or CSRF token. */
  static final String CSRF_REFUSED = "csrf_refused";
  /** Audit code of a change sent without a session. */
  static final String NOT_SIGNED_IN = "not_signed_in";
  private static final Logger LOG = LoggerFactory.getLogger(ConsoleRoutes.class);
  private static final Duration DOWNLOAD_WRITE_TIMEOUT = Duration.ofMinutes(2);

  /** What a page handler sees: the parameters (path, then query), the session, the request id. */
  record Visit(Map<String, String> params, Session session, String requestId) {

    String param(String name) {
      return params.get(name);
    }

    OperatorToken operator() {
      return session.operator();
    }
  }

  /** What a page handler returns: a page to render, or where to go. */
  record Page(int status, String template, String title, String section, Object view,
      String redirect, String html) {

    Page(int status, String template, String title, String section, Object view,
        String redirect) {
      this(status, template, title, section, view, redirect, null);
    }

    Page rendered(String text) {
      return new Page(status, template, title, section, view, redirect, text);
    }

    static Page of(String template, String title, String section, Object view) {
      return new Page(200, template, title, section, view, null);
    }

    static Page redirect(String location) {
      return new Page(303, null, null, null, null, location);
    }

    static Page error(int status, String title, String message, String back) {
      return new Page(status, "error", title, "", new ErrorView(title, message, back), null);
    }
  }

  /** The error page. */
  public record ErrorView(String heading, String message, String back) {}

  /** A change's outcome: a message for the next page, and that page. */
  record Done(String flash, String redirect) {}

  @FunctionalInterface
  interface PageHandler {
    Page handle(Visit visit) throws OperationException;
  }

  @FunctionalInterface
  interface ChangeHandler {
    Done handle(Visit visit, FormBody form) throws OperationException;
  }

  /** What a change is called in the audit trail and what it changes (from path and form). */
  @FunctionalInterface
  interface Resource {
    String of(Visit visit, FormBody form);
  }

  /** Where a download writes: text, in order, with back-pressure (a worker thread waits). */
  @FunctionalInterface
  interface DownloadWriter {
    void write(Visit visit, Lines out) throws OperationException;
  }

  /** Text lines for a download. */
  interface Lines {
    void add(String text);
  }

  private final Vertx vertx;
  private final ConsoleSessions sessions;
  private final TokenVerifier verifier;
  private final AuditSink audit;
  private final Pages pages;
  private final Clock clock;

  ConsoleRoutes(Vertx vertx, ConsoleSessions sessions, TokenVerifier verifier, AuditSink audit,
      Pages pages, Clock clock) {
    this.vertx = vertx;
    this.sessions = sessions;
    this.verifier = verifier;
    this.audit = audit;
    this.pages = pages;
    this.clock = clock;
  }

  ConsoleSessions sessions() {
    return sessions;
  }

  TokenVerifier verifier() {
    return verifier;
  }

  Clock clock() {
    return clock;
  }

  /** A page any signed-in user may see. */
  void page(Router router, String path, PageHandler handler) {
    router.get(path).handler(ctx -> {
      Optional<Visit> signedIn = visit(ctx);
      if (signedIn.isEmpty()) {
        return;
      }
      Visit visit = signedIn.get();
      // Loading the data and rendering both happen on a worker thread.
      vertx.executeBlocking(() -> {
        Page page;
        try {
          page = handler.handle(visit);
        } catch (OperationException | RuntimeException e) {
          page = failed(e, visit);
        }
        return page.redirect() != null ? page : page.rendered(render(visit.session(), page));
      }, false).onComplete(done -> {
        if (done.failed()) {
          sendStatic(ctx, 500, "Not available", "Something went wrong; the request id "
              + visit.requestId() + " is in the log.");
        } else if (done.result().redirect() != null) {
          redirect(ctx, done.result().redirect());
        } else {
          html(ctx, done.result().status(), done.result().html());
        }
      });
    });
  }

  /** A page only operators may see (a change's form or confirmation). */
  void operatorPage(Router router, String path, PageHandler handler) {
    page(router, path, visit -> visit.operator().role() == Role.OPERATOR ? handler.handle(visit)
        : Page.error(403, "Read only", "Your role (" + visit.operator().role().claim()
            + ") may only read: changes need an operator token.", Console.ROOT + "/"));
  }

  /** A change: a POSTed form, needing the operator role; audited as {@code action}. */
  void change(Router router, String path, String action, Resource resource,
      Function<Visit, String> back, ChangeHandler handler) {
    router.post(path).handler(ctx -> {
      secure(ctx.response());
      readForm(ctx).onComplete(read -> {
        if (read.failed()) {
          sendStatic(ctx, read.cause() instanceof FormTooLarge ? 413 : 400,
              read.cause() instanceof FormTooLarge ? "Form too large" : "Bad form",
              read.cause() instanceof FormTooLarge ? "The form is larger than "
                  + MAX_FORM_BYTES / 1024 + " KiB." : "The form could not be read.");
          return;
        }
        FormBody form = read.result();
        try {
          runChange(ctx, action, resource, back, handler, form);
        } catch (RuntimeException e) {
          form.close();
          throw e;
        }
      });
    });
  }

  private void runChange(RoutingContext ctx, String action, Resource resource,
      Function<Visit, String> back, ChangeHandler handler, FormBody form) {
    String requestId = RequestIds.newId();
    Optional<Session> session = session(ctx);
    Map<String, String> params;
    try {
      params = params(ctx);
    } catch (IllegalArgumentException e) {
      form.close();
      sendStatic(ctx, 400, "Bad request", "The address is malformed.");
      return;
    }
    Visit visit = new Visit(params, session.orElse(null), requestId);
    String target = resource.of(visit, form);
    if (!audit.accepting()) {
      form.close(); // an unaudited change is worse than none
      sendStatic(ctx, 503, "Audit log unavailable", "The audit log cannot be written, so no"
          + " change can be made now. Try again once it works.");
      return;
    }
    if (session.isEmpty()) {
      form.close();
      record(null, requestId, action, target, "denied", NOT_SIGNED_IN, 401);
      sendStatic(ctx, 401, "Signed out", "Your session has ended. Sign in again.");
      return;
    }
    OperatorToken operator = session.get().operator();
    if (!sameOrigin(ctx.request()) || !session.get().csrfMatches(form.get("csrf"))) {
      form.close();
      record(operator, requestId, action, target, "denied", CSRF_REFUSED, 403);
      send(ctx, session.get(), Page.error(403, "Refused", "This change did not come from a"
          + " console page of this session (its origin or CSRF token is wrong), so it was not"
          + " made.", Console.ROOT + "/"));
      return;
    }
    if (operator.role() != Role.OPERATOR) {
      form.close();
      record(operator, requestId, action, target, "denied",
          OperationError.ROLE_NOT_ALLOWED.code(), 403);
      send(ctx, session.get(), Page.error(403, "Read only", action + " needs the operator role;"
          + " your role (" + operator.role().claim() + ") may only read.", Console.ROOT + "/"));
      return;
    }
    vertx.executeBlocking(() -> {
      try (form) {
        return handler.handle(visit, form);
      }
    }, false).onComplete(done -> {
      if (done.succeeded()) {
        record(operator, requestId, action, target, "ok", "ok", 200);
        session.get().flash(done.result().flash());
        redirect(ctx, done.result().redirect());
      } else if (done.cause() instanceof OperationException e) {
        record(operator, requestId, action, target,
            e.status() == 401 || e.status() == 403 ? "denied" : "failed", e.code(), e.status());
        send(ctx, session.get(), Page.error(e.status(), "Not done", e.getMessage(),
            back.apply(visit)));
      } else {
        LOG.atError().addKeyValue("request_id", requestId).log("console {} failed: {}", action,
            done.cause().getClass().getName());
        record(operator, requestId, action, target, "failed", "internal_error", 500);
        send(ctx, session.get(), Page.error(500, "Not done", "Something went wrong; the"
            + " request id " + requestId + " is in the log.", Console.ROOT + "/"));
      }
    });
  }

  /** A file to download, written on a worker thread as it is produced; audited as {@code action}. */
  void download(Router router, String path, String action, String contentType, String filename,
      DownloadWriter writer) {
    router.get(path).handler(ctx -> {
      Optional<Visit> signedIn = visit(ctx);
      if (signedIn.isEmpty()) {
        return;
      }
      Visit visit = signedIn.get();
      if (!audit.accepting()) {
        sendStatic(ctx, 503, "Audit log unavailable", "The audit log cannot be written, so"
            + " nothing is exported now.");
        return;
      }
      record(visit.operator(), visit.requestId(), action, "audit", "ok", "ok", 200);
      HttpServerResponse response = ctx.response();
      response.setChunked(true)
          .putHeader(HttpHeaders.CONTENT_TYPE, contentType)
          .putHeader("Content-Disposition", "attachment; filename=\"" + filename + "\"");
      vertx.executeBlocking(() -> {
        StreamedLines out = new StreamedLines(response);
        writer.write(visit, out);
        out.flush();
        return null;
      }, false).onComplete(done -> {
        if (done.succeeded()) {
          response.end();
        } else if (!response.headWritten()) {
          response.setChunked(false).headers().remove("Content-Disposition");
          send(ctx, visit.session(), failed(done.cause(), visit));
        } else {
          LOG.warn("console download {} failed: {}", path, done.cause().toString());
          response.reset();
        }
      });
    });
  }

  /** Lines gathered into chunks; each chunk is sent once the one before is written. */
  private static final class StreamedLines implements Lines {
    private static final int CHUNK = 64 * 1024;
    private final HttpServerResponse response;
    private final StringBuilder pending = new StringBuilder(CHUNK + 1024);

    StreamedLines(HttpServerResponse response) {
      this.response = response;
    }

    @Override
    public void add(String text) {
      pending.append(text);
      if (pending.length() >= CHUNK) {
        flush();
      }
    }

    void flush() {
      if (pending.length() == 0) {
        return;
      }
      Buffer chunk = Buffer.buffer(pending.toString());
      pending.setLength(0);
      try {
        response.write(chunk).toCompletionStage().toCompletableFuture()
            .get(DOWNLOAD_WRITE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException("the download was not taken: " + e, e);
      }
    }
  }

  /**
   * The visit of a signed-in GET; empty when it was answered already (no session: to the sign-in
   * page; a malformed address: 400).
   */
  private Optional<Visit> visit(RoutingContext ctx) {
    secure(ctx.response());
    Optional<Session> session = session(ctx);
    if (session.isEmpty()) {
      redirect(ctx, Links.path("sign-in"));
      return Optional.empty();
    }
    try {
      return Optional.of(new Visit(params(ctx), session.get(), RequestIds.newId()));
    } catch (IllegalArgumentException e) {
      sendStatic(ctx, 400, "Bad request", "The address is malformed.");
      return Optional.empty();
    }
  }

  /** Records a console action in the audit trail (the operator is empty when unknown). */
  void record(OperatorToken operator, String requestId, String action, String resource,
      String outcome, String code, int status) {
    audit.record(new AdminRecord(clock.instant(), requestId,
        operator == null ? "" : operator.name(), operator == null ? "" : operator.role().claim(),
        action, resource, outcome, code, status));
  }

  /** The session behind the cookie, with its token verified again; empty if none or ended. */
  Optional<Session> session(RoutingContext ctx) {
    Cookie cookie = ctx.request().getCookie(SESSION_COOKIE);
    Optional<Session> session = sessions.find(cookie == null ? null : cookie.getValue());
    if (session.isEmpty()) {
      return session;
    }
    try {
      session.get().operator(verifier.verifyOperator(session.get().token()));
      return session;
    } catch (TokenRejectedException e) {
      sessions.close(session.get()); // revoked, expired, or its signing key is gone
      return Optional.empty();
    }
  }

  /** The session cookie: HttpOnly, SameSite=Strict, Secure over TLS, ending with the token. */
  void setSessionCookie(RoutingContext ctx, Session session) {
    long seconds = Math.max(0, Duration.between(clock.instant(), session.expiresAt()).toSeconds());
    ctx.response().addCookie(cookie(ctx, SESSION_COOKIE, session.id(), seconds));
  }

  void clearSessionCookie(RoutingContext ctx) {
    ctx.response().addCookie(cookie(ctx, SESSION_COOKIE, "", 0));
  }

  static Cookie cookie(RoutingContext ctx, String name, String value, long maxAgeSeconds) {
    return Cookie.cookie(name, value)
        .setPath(Console.ROOT)
        .setHttpOnly(true)
        .setSecure(ctx.request().isSSL())
        .setSameSite(CookieSameSite.STRICT)
        .setMaxAge(maxAgeSeconds);
  }

  /**
   * Whether a POST came from a page of this console: its {@code Origin} (or, without one, its
   * {@code Referer}) is this server's own. Browsers send {@code Origin} with every form POST.
   */
  static boolean sameOrigin(HttpServerRequest request) {
    // The authority, not the Host header: an HTTP/2 request has none.
    HostAndPort authority = request.authority();
    if (authority == null) {
      return false;
    }
    String own = (request.isSSL() ? "https://" : "http://") + authority.host()
        + (authority.port() >= 0 ? ":" + authority.port() : "");
    String origin = request.getHeader(HttpHeaders.ORIGIN);
    if (origin != null) {
      return origin.equalsIgnoreCase(own);
    }
    String referer = request.getHeader(HttpHeaders.REFERER);
    return referer != null && referer.regionMatches(true, 0, own + "/", 0, own.length() + 1);
  }

  /** Headers on every console response: no caching, no framing, no script, no sniffing. */
  static void secure(HttpServerResponse response) {
    response.putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("X-Frame-Options", "DENY")
        // same-origin, not no-referrer: with no-referrer a browser sends "Origin: null" on POSTs.
        .putHeader("Referrer-Policy", "same-origin")
        .putHeader("Cross-Origin-Opener-Policy", "same-origin")
        .putHeader("Cross-Origin-Resource-Policy", "same-origin");
  }

  /** The body of a form POST, at most {@link #MAX_FORM_BYTES}; never decoded by Vert.x. */
  static Future<FormBody> readForm(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    Promise<FormBody> promise = Promise.promise();
    if (request.isEnded()) {
      promise.complete(FormBody.parse(new byte[0]));
      return promise.future();
    }
    Buffer body = Buffer.buffer();
    request.handler(chunk -> {
      if (promise.future().isComplete()) {
        return;
      }
      if (body.length() + chunk.length() > MAX_FORM_BYTES) {
        wipe(body);
        promise.fail(new FormTooLarge());
        ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
        return;
      }
      body.appendBuffer(chunk);
    });
    request.exceptionHandler(e -> {
      wipe(body);
      promise.tryFail(e);
    });
    request.endHandler(v -> {
      if (promise.future().isComplete()) {
        return;
      }
      byte[] bytes = body.getBytes();
      wipe(body);
      try {
        promise.complete(FormBody.parse(bytes));
      } catch (IllegalArgumentException e) {
        promise.fail(e);
      }
    });
    request.resume();
    return promise.future();
  }

  private static void wipe(Buffer buffer) {
    buffer.setBytes(0, new byte[buffer.length()]);
  }

  /** A form over {@link #MAX_FORM_BYTES}. */
  static final class FormTooLarge extends RuntimeException {
    FormTooLarge() {
      super("form too large", null, false, false);
    }
  }

  /** Path parameters, then the first value of each query parameter. */
  static Map<String, String> params(RoutingContext ctx) {
    Map<String, String> params = new HashMap<>();
    ctx.queryParams().forEach(e -> params.putIfAbsent(e.getKey(), e.getValue()));
    params.putAll(ctx.pathParams());
    return Map.copyOf(params);
  }

  private static Page failed(Throwable cause, Visit visit) {
    if (cause instanceof OperationException e) {
      return Page.error(e.status(), "Not available", e.getMessage(), Console.ROOT + "/");
    }
    LOG.atError().addKeyValue("request_id", visit.requestId()).log("console page failed: {}",
        cause.toString());
    return Page.error(500, "Not available", "Something went wrong; the request id "
        + visit.requestId() + " is in the log.", Console.ROOT + "/");
  }

  /** Sends a page for a session: a small one (an error, the sign-in form), or a redirect. */
  void send(RoutingContext ctx, Session session, Page page) {
    if (page.redirect() != null) {
      redirect(ctx, page.redirect());
      return;
    }
    html(ctx, page.status(), render(session, page));
  }

  private String render(Session session, Page page) {
    OperatorToken operator = session == null ? null : session.operator();
    Frame frame = operator == null ? Frame.signedOut(page.title())
        : new Frame(page.title(), page.section(), operator.name(), operator.role().claim(),
            operator.role() == Role.OPERATOR, session.csrf(), session.takeFlash());
    return pages.render(page.template(), frame, page.view());
  }

  /** An error page that needs no session. */
  void sendStatic(RoutingContext ctx, int status, String title, String message) {
    html(ctx, status, pages.render("error", Frame.signedOut(title),
        new ErrorView(title, message, Console.ROOT + "/")));
  }

  static void html(RoutingContext ctx, int status, String html) {
    HttpServerResponse response = ctx.response();
    if (response.ended() || response.closed()) {
      return;
    }
    secure(response);
    response.setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8")
        .end(html);
  }

  static void redirect(RoutingContext ctx, String location) {
    ctx.response().setStatusCode(303).putHeader(HttpHeaders.LOCATION, location).end();
  }

  /** A parameter as a number, with a clear error. */
  static long number(Visit visit, String name) throws OperationException {
    String value = visit.param(name);
    try {
      return Long.parseLong(value == null ? "" : value.strip());
    } catch (NumberFormatException e) {
      throw new OperationException(OperationError.INVALID_REQUEST, "'" + name
          + "' must be a number");
    }
  }

}
