package dev.keyward.proxy.dev;

import dev.keyward.proxy.error.ErrorCode;
import dev.keyward.proxy.error.ProxyException;
import dev.keyward.proxy.http.Bodies;
import dev.keyward.vault.Secret;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A fake LLM provider on loopback that answers as OpenAI, Anthropic and Gemini do: chat
 * completions, responses, embeddings and models; messages; generateContent, each streamed and
 * not, with realistic {@code usage} and a reply that echoes the last user message. {@code keyward
 * dev} routes {@code /r/demo} to it, so a first call needs no provider key; tests use it as an
 * upstream.
 *
 * <p>It checks the key as a provider does: the one it was started with must come in {@code
 * Authorization: Bearer}, {@code x-api-key}, {@code x-goog-api-key} or Gemini's {@code ?key=}.
 * A wrong key gets a 401 in the provider's error shape that quotes the key presented, as OpenAI
 * does ({@code Incorrect API key provided: sk-…}), in every format, so that Keyward's redaction
 * is exercised. Nothing it holds grows without bound: bodies are limited and only the last {@link
 * #RECENT_REQUESTS} requests are kept (for tests to inspect). It logs nothing.
 */
public final class FakeProvider implements AutoCloseable {

  /** Larger request bodies get 413. */
  public static final int MAX_REQUEST_BODY = 4 * 1024 * 1024;
  /** How many requests {@link #received()} remembers. */
  public static final int RECENT_REQUESTS = 64;
  /** How much of each body {@link #received()} keeps. */
  public static final int RECORDED_BODY_CHARS = 64 * 1024;
  /** A presented key longer than this is quoted only in part. */
  static final int MAX_QUOTED_KEY = 512;

  private static final Pattern GEMINI =
      Pattern.compile(".*/models/([^/:]+):(generateContent|streamGenerateContent)");

  /** Which provider an endpoint imitates; it decides the error shape and the key header. */
  private enum Api { OPENAI, ANTHROPIC, GEMINI }

  /**
   * One request as the fake received it. {@code toString} leaves out headers and body, which hold
   * the key.
   */
  public record Received(String method, String uri, MultiMap headers, String body) {
    @Override
    public String toString() {
      return "Received[" + method + " " + uri + "]";
    }
  }

  private final HttpServer server;
  private final Secret key;
  private final FakeOpenAi openAi;
  private final FakeAnthropic anthropic;
  private final FakeGemini gemini;
  private final Deque<Received> recent = new ArrayDeque<>();

  private FakeProvider(Vertx vertx, Secret key, Clock clock, HttpServerOptions options) {
    this.key = key;
    FakeIds ids = new FakeIds(clock);
    this.openAi = new FakeOpenAi(ids);
    this.anthropic = new FakeAnthropic(ids);
    this.gemini = new FakeGemini(ids);
    this.server = vertx.createHttpServer(new HttpServerOptions(options).setHost("127.0.0.1")
        .setPort(0).setHandle100ContinueAutomatically(true)).requestHandler(this::handle);
  }

  /**
   * Starts a fake provider on a free port of 127.0.0.1.
   *
   * @param key the only key it accepts; the fake owns it and destroys it when closed
   */
  public static Future<FakeProvider> start(Vertx vertx, Secret key, Clock clock) {
    return start(vertx, key, clock, new HttpServerOptions());
  }

  /** As {@link #start(Vertx, Secret, Clock)}, with server options (TLS, for one). */
  public static Future<FakeProvider> start(Vertx vertx, Secret key, Clock clock,
      HttpServerOptions options) {
    Objects.requireNonNull(key, "key");
    FakeProvider fake = new FakeProvider(vertx, key, Objects.requireNonNull(clock, "clock"),
        options);
    return fake.server.listen().map(server -> fake);
  }

  /** As {@link #start(Vertx, Secret, Clock)}, waiting for it to listen (not on an event loop). */
  public static FakeProvider startAndWait(Vertx vertx, Secret key) throws Exception {
    return start(vertx, key, Clock.systemUTC()).toCompletionStage().toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
  }

  public int port() {
    return server.actualPort();
  }

  /** {@code http://127.0.0.1:<port>}: OpenAI's base URL is this plus {@code /v1}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + port();
  }

  /** The last {@link #RECENT_REQUESTS} requests, oldest first. */
  public List<Received> received() {
    synchronized (recent) {
      return List.copyOf(recent);
    }
  }

  public void forgetReceived() {
    synchronized (recent) {
      recent.clear();
    }
  }

  public Future<Void> stop() {
    return server.close().onComplete(done -> key.destroy());
  }

  @Override
  public void close() throws Exception {
    stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private void handle(HttpServerRequest request) {
    Bodies.read(request, MAX_REQUEST_BODY).onComplete(read -> {
      if (read.failed()) {
        boolean tooLarge = read.cause() instanceof ProxyException e
            && e.error().code().equals(ErrorCode.PAYLOAD_TOO_LARGE.code());
        FakeAnswer refusal = tooLarge
            ? FakeOpenAi.error(413, "The request body may be at most " + MAX_REQUEST_BODY
                + " bytes.", "invalid_request_error", "request_too_large")
            : FakeOpenAi.badRequest("The request could not be read.");
        send(request, refusal);
        if (tooLarge) {
          request.connection().close();
        }
        return;
      }
      Buffer body = read.result();
      remember(request, body);
      send(request, answer(request, body));
    });
  }

  private void remember(HttpServerRequest request, Buffer body) {
    String text = body.length() > RECORDED_BODY_CHARS
        ? body.getString(0, RECORDED_BODY_CHARS, "UTF-8") : body.toString(StandardCharsets.UTF_8);
    Received received = new Received(request.method().name(), request.uri(),
        MultiMap.caseInsensitiveMultiMap().addAll(request.headers()), text);
    synchronized (recent) {
      if (recent.size() == RECENT_REQUESTS) {
        recent.removeFirst();
      }
      recent.addLast(received);
    }
  }

  private FakeAnswer answer(HttpServerRequest request, Buffer body) {
    String path = request.path();
    HttpMethod method = request.method();
    Matcher geminiPath = GEMINI.matcher(path);
    if (method == HttpMethod.GET && path.endsWith("/models")) {
      return authorized(request, Api.OPENAI, null, openAi::models);
    }
    if (method != HttpMethod.POST) {
      return notFound(method, path);
    }
    if (path.endsWith("/chat/completions")) {
      return authorized(request, Api.OPENAI, body, () -> openAi.chatCompletions(json(body)));
    }
    if (path.endsWith("/responses")) {
      return authorized(request, Api.OPENAI, body, () -> openAi.responses(json(body)));
    }
    if (path.endsWith("/embeddings")) {
      return authorized(request, Api.OPENAI, body, () -> openAi.embeddings(json(body)));
    }
    if (path.endsWith("/messages")) {
      return authorized(request, Api.ANTHROPIC, body, () -> anthropic.messages(json(body)));
    }
    if (geminiPath.matches()) {
      boolean stream = geminiPath.group(2).equals("streamGenerateContent");
      boolean sse = "sse".equals(request.getParam("alt"));
      return authorized(request, Api.GEMINI, body,
          () -> gemini.generate(geminiPath.group(1), json(body), stream, sse));
    }
    return notFound(method, path);
  }

  private static FakeAnswer notFound(HttpMethod method, String path) {
    return FakeOpenAi.error(404, "Invalid URL (" + method.name() + " " + path + ")",
        "invalid_request_error", null);
  }

  /** The request's JSON object; {@link BadJson} otherwise. */
  private static JsonObject json(Buffer body) {
    try {
      return new JsonObject(body);
    } catch (RuntimeException e) {
      throw new BadJson();
    }
  }

  /** Thrown by {@link #json} for a body that is not a JSON object. */
  private static final class BadJson extends RuntimeException {
    BadJson() {
      super("the body is not a JSON object", null, false, false);
    }
  }

  private interface Reply {
    FakeAnswer get();
  }

  private FakeAnswer authorized(HttpServerRequest request, Api api, Buffer body, Reply reply) {
    String presented = presentedKey(request, api);
    if (presented == null) {
      return switch (api) {
        case OPENAI -> FakeOpenAi.error(401, "You didn't provide an API key. You need to provide"
            + " your API key in an Authorization header using Bearer auth (i.e. Authorization:"
            + " Bearer YOUR_KEY).", "invalid_request_error", null);
        case ANTHROPIC -> FakeAnthropic.error(401, "authentication_error",
            "x-api-key header is required");
        case GEMINI -> FakeGemini.error(401, "Method doesn't allow unregistered callers. Please"
            + " use an API key.", "UNAUTHENTICATED");
      };
    }
    if (!isTheKey(presented)) {
      String quoted = presented.length() > MAX_QUOTED_KEY
          ? presented.substring(0, MAX_QUOTED_KEY) + "…" : presented;
      return switch (api) {
        case OPENAI -> FakeOpenAi.error(401, "Incorrect API key provided: " + quoted + ". You can"
            + " find your API key at https://platform.openai.com/account/api-keys.",
            "invalid_request_error", "invalid_api_key");
        case ANTHROPIC -> FakeAnthropic.error(401, "authentication_error",
            "invalid x-api-key: Incorrect API key provided: " + quoted);
        case GEMINI -> FakeGemini.error(401, "API key not valid. Incorrect API key provided: "
            + quoted, "UNAUTHENTICATED");
      };
    }
    try {
      return reply.get();
    } catch (BadJson e) {
      String message = body == null || body.length() == 0 ? "The request has no JSON body."
          : "We could not parse the JSON body of your request.";
      return switch (api) {
        case OPENAI -> FakeOpenAi.badRequest(message);
        case ANTHROPIC -> FakeAnthropic.badRequest(message);
        case GEMINI -> FakeGemini.badRequest(message);
      };
    }
  }

  /** The key in the header this provider reads first, or in any other it would accept. */
  private static String presentedKey(HttpServerRequest request, Api api) {
    String bearer = request.getHeader("Authorization");
    if (bearer != null && bearer.regionMatches(true, 0, "Bearer ", 0, 7)) {
      bearer = bearer.substring(7).strip();
    } else {
      bearer = null;
    }
    String apiKey = request.getHeader("x-api-key");
    String googKey = request.getHeader("x-goog-api-key");
    String queryKey = api == Api.GEMINI ? request.getParam("key") : null;
    List<String> order = switch (api) {
      case OPENAI -> nonNull(bearer, apiKey, googKey);
      case ANTHROPIC -> nonNull(apiKey, bearer, googKey);
      case GEMINI -> nonNull(googKey, queryKey, bearer, apiKey);
    };
    return order.isEmpty() ? null : order.get(0);
  }

  private static List<String> nonNull(String... values) {
    return Arrays.stream(values).filter(v -> v != null && !v.isEmpty()).toList();
  }

  private boolean isTheKey(String presented) {
    Secret candidate;
    try {
      candidate = Secret.copyOf(presented.getBytes(StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      return false;
    }
    try (candidate) {
      return candidate.equalsSecret(key);
    }
  }

  private static void send(HttpServerRequest request, FakeAnswer answer) {
    HttpServerResponse response = request.response().setStatusCode(answer.status())
        .putHeader("Content-Type", answer.contentType());
    if (answer.pieces().size() == 1) {
      response.end(answer.pieces().get(0));
      return;
    }
    response.setChunked(true).putHeader("Cache-Control", "no-cache");
    for (String piece : answer.pieces()) {
      response.write(piece);
    }
    response.end();
  }
}
