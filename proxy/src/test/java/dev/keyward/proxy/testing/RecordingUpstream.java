package dev.keyward.proxy.testing;

import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.PemKeyCertOptions;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A local upstream (HTTP or HTTPS) that records every request it receives, so tests can assert
 * exactly what reached it, and nothing when it should receive nothing.
 */
public final class RecordingUpstream implements AutoCloseable {

  /**
   * One request as the upstream saw it.
   *
   * @param connection identity of the connection it came on (to see reuse)
   */
  public record Received(String method, String uri, MultiMap headers, Buffer body,
      HttpVersion version, int connection, String host) {

    /** Every header line and the body as one string, for "no trace of X" checks. */
    public String everything() {
      StringBuilder all = new StringBuilder(method).append(' ').append(uri).append('\n');
      headers.forEach(h -> all.append(h.getKey()).append(": ").append(h.getValue()).append('\n'));
      return all.append(body.toString()).toString();
    }
  }

  private final HttpServer server;
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private volatile boolean raw;
  private volatile Handler<HttpServerRequest> responder = request ->
      request.response().putHeader("content-type", "application/json")
          .end("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\"}");

  private RecordingUpstream(Vertx vertx, HttpServerOptions options, String host, int port)
      throws Exception {
    this.server = vertx.createHttpServer(options).requestHandler(this::handle);
    server.listen(port, host).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private RecordingUpstream(Vertx vertx, HttpServerOptions options) throws Exception {
    this(vertx, options, "127.0.0.1", 0);
  }

  public static RecordingUpstream http(Vertx vertx) throws Exception {
    return new RecordingUpstream(vertx, new HttpServerOptions());
  }

  public static RecordingUpstream https(Vertx vertx, TestTls tls) throws Exception {
    return https(vertx, tls, "127.0.0.1", 0);
  }

  /** An HTTPS upstream that offers HTTP/2 over ALPN when {@code http2}. */
  public static RecordingUpstream https(Vertx vertx, TestTls tls, boolean http2) throws Exception {
    return new RecordingUpstream(vertx, new HttpServerOptions().setSsl(true).setUseAlpn(http2)
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(tls.certificate().toString())
            .setKeyPath(tls.privateKey().toString())), "127.0.0.1", 0);
  }

  /** An HTTPS upstream on a given address and port (e.g. another loopback address). */
  public static RecordingUpstream https(Vertx vertx, TestTls tls, String host, int port)
      throws Exception {
    return new RecordingUpstream(vertx, new HttpServerOptions().setSsl(true)
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(tls.certificate().toString())
            .setKeyPath(tls.privateKey().toString())), host, port);
  }

  /** Replaces how the upstream answers; the request is recorded (body included) first. */
  public RecordingUpstream respondWith(Handler<HttpServerRequest> handler) {
    this.responder = handler;
    return this;
  }

  /**
   * Answers as an OpenAI chat stream that five chunks of text in, before any usage, loses its
   * connection: a stream cut by the upstream.
   */
  public RecordingUpstream cutStreamsBeforeUsage(Vertx vertx) {
    return respondWith(request -> {
      HttpServerResponse response = request.response().setChunked(true)
          .putHeader("Content-Type", "text/event-stream");
      for (int i = 0; i < 5; i++) {
        response.write("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\","
            + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"words and more words \"}}]}"
            + "\n\n");
      }
      vertx.setTimer(50, id -> request.connection().close());
    });
  }

  /**
   * Hands requests to {@code handler} unread, body and all, and records only their headers: for
   * streaming tests, where buffering a body here would defeat the measurement.
   */
  public RecordingUpstream streamWith(Handler<HttpServerRequest> handler) {
    this.responder = handler;
    this.raw = true;
    return this;
  }

  private void handle(HttpServerRequest request) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap().addAll(request.headers());
    String host = request.authority() == null ? "" : request.authority().toString();
    if (raw) {
      received.add(new Received(request.method().name(), request.uri(), headers, Buffer.buffer(),
          request.version(), System.identityHashCode(request.connection()), host));
      responder.handle(request);
      return;
    }
    request.body().onSuccess(body -> {
      received.add(new Received(request.method().name(), request.uri(), headers, body,
          request.version(), System.identityHashCode(request.connection()), host));
      responder.handle(request);
    });
  }

  public int port() {
    return server.actualPort();
  }

  public List<Received> received() {
    return received;
  }

  public Received only() {
    if (received.size() != 1) {
      throw new AssertionError("expected exactly one upstream request, got " + received.size());
    }
    return received.get(0);
  }

  @Override
  public void close() throws Exception {
    server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
