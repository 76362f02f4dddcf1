package dev.keyward.proxy.console;

import dev.keyward.proxy.RequestIds;
import dev.keyward.proxy.console.ConsoleSessions.Session;
import dev.keyward.token.OperatorToken;
import dev.keyward.token.TokenRejectedException;
import io.vertx.core.http.Cookie;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Optional;

/**
 * Signing in with an operator token and out again. The sign-in form carries a nonce that must
 * match a cookie set with the form (so another site cannot sign a browser in to its own session),
 * and, like every console POST, must come from this console's origin. Both are audited: {@code
 * console.sign_in} (refused ones with the token's error code and no operator) and {@code
 * console.sign_out}.
 */
public final class SignIn {

  static final String NONCE_COOKIE = "keyward_console_sign_in";
  static final Duration NONCE_LIFETIME = Duration.ofMinutes(30);

  /** The sign-in page. */
  public record View(String nonce, String message) {}

  private final ConsoleRoutes routes;

  SignIn(ConsoleRoutes routes) {
    this.routes = routes;
  }

  void mount(Router router) {
    router.get(Console.ROOT + "/sign-in").handler(ctx -> {
      ConsoleRoutes.secure(ctx.response());
      if (routes.session(ctx).isPresent()) {
        ConsoleRoutes.redirect(ctx, Links.path("audit"));
        return;
      }
      form(ctx, 200, null);
    });
    router.post(Console.ROOT + "/sign-in").handler(ctx -> {
      ConsoleRoutes.secure(ctx.response());
      ConsoleRoutes.readForm(ctx).onComplete(read -> {
        if (read.failed()) {
          form(ctx, 400, "The form could not be read.");
          return;
        }
        try (FormBody form = read.result()) {
          signIn(ctx, form);
        }
      });
    });
    router.post(Console.ROOT + "/sign-out").handler(ctx -> {
      ConsoleRoutes.secure(ctx.response());
      ConsoleRoutes.readForm(ctx).onComplete(read -> {
        Optional<Session> session = routes.session(ctx);
        try (FormBody form = read.succeeded() ? read.result() : null) {
          if (session.isPresent() && ConsoleRoutes.sameOrigin(ctx.request())
              && form != null && session.get().csrfMatches(form.get("csrf"))) {
            routes.sessions().close(session.get());
            routes.record(session.get().operator(), RequestIds.newId(), "console.sign_out",
                "console", "ok", "ok", 200);
          }
        }
        routes.clearSessionCookie(ctx);
        ConsoleRoutes.redirect(ctx, Links.path("sign-in"));
      });
    });
  }

  private void signIn(RoutingContext ctx, FormBody form) {
    String requestId = RequestIds.newId();
    Cookie nonce = ctx.request().getCookie(NONCE_COOKIE);
    if (!ConsoleRoutes.sameOrigin(ctx.request()) || nonce == null
        || !MessageDigest.isEqual(nonce.getValue().getBytes(StandardCharsets.US_ASCII),
            form.get("nonce").getBytes(StandardCharsets.US_ASCII))) {
      routes.record(null, requestId, "console.sign_in", "console", "denied",
          ConsoleRoutes.CSRF_REFUSED, 403);
      form(ctx, 403, "This sign-in did not come from this console's sign-in page (or the page"
          + " was open too long). Try again.");
      return;
    }
    String token = form.get("token").strip();
    OperatorToken operator;
    try {
      operator = routes.verifier().verifyOperator(token);
    } catch (TokenRejectedException e) {
      routes.record(null, requestId, "console.sign_in", "console", "denied", e.error().code(),
          401);
      form(ctx, 401, "That token was refused (" + e.error().code() + "): " + e.getMessage());
      return;
    }
    Session session = routes.sessions().open(token, operator);
    routes.record(operator, requestId, "console.sign_in", "console", "ok", "ok", 200);
    routes.setSessionCookie(ctx, session);
    ctx.response().addCookie(ConsoleRoutes.cookie(ctx, NONCE_COOKIE, "", 0));
    ConsoleRoutes.redirect(ctx, Links.path("audit"));
  }

  /** The form, with a fresh nonce in it and in its cookie. */
  private void form(RoutingContext ctx, int status, String message) {
    String nonce = routes.sessions().randomId();
    ctx.response().addCookie(ConsoleRoutes.cookie(ctx, NONCE_COOKIE, nonce,
        NONCE_LIFETIME.toSeconds()));
    routes.send(ctx, null, new ConsoleRoutes.Page(status, "sign-in", "Sign in", "",
        new View(nonce, message), null));
  }
}
