package dev.keyward.proxy.testing;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.PemKeyCertOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A git server over HTTPS, as GitHub is to git: the smart HTTP protocol served by git's own
 * {@code git http-backend} (as CGI), for repositories under a directory, to requests with the one
 * token it accepts as Basic credentials ({@code x-access-token:<token>}); others get {@code 401}
 * with a Basic challenge, which is what makes git send its credentials.
 */
public final class GitHttpServer implements AutoCloseable {

  /** Where Debian's git package puts it. */
  public static final Path BACKEND = Path.of("/usr/lib/git-core/git-http-backend");

  private final Vertx vertx;
  private final HttpServer server;
  private final Path root;
  private final String expected;
  private final List<String> authorizations = new CopyOnWriteArrayList<>();

  private GitHttpServer(Vertx vertx, TestTls tls, Path root, String token) throws Exception {
    this.vertx = vertx;
    this.root = root;
    this.expected = "Basic " + Base64.getEncoder().encodeToString(("x-access-token:" + token)
        .getBytes(StandardCharsets.UTF_8));
    this.server = vertx.createHttpServer(new HttpServerOptions().setSsl(true).setKeyCertOptions(
            new PemKeyCertOptions().setCertPath(tls.certificate().toString())
                .setKeyPath(tls.privateKey().toString())))
        .requestHandler(this::handle);
    server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  public static GitHttpServer start(Vertx vertx, TestTls tls, Path root, String token)
      throws Exception {
    return new GitHttpServer(vertx, tls, root, token);
  }

  public int port() {
    return server.actualPort();
  }

  /** Every Authorization header it got ("" for none), in order. */
  public List<String> authorizations() {
    return authorizations;
  }

  private void handle(HttpServerRequest request) {
    String authorization = request.getHeader("Authorization");
    authorizations.add(authorization == null ? "" : authorization);
    if (!expected.equals(authorization)) {
      request.response().setStatusCode(401)
          .putHeader("WWW-Authenticate", "Basic realm=\"git\"").end("authentication required");
      return;
    }
    request.body().onSuccess(body -> vertx.<Buffer>executeBlocking(
            () -> cgi(request, body), false)
        .onSuccess(output -> respond(request.response(), output))
        .onFailure(e -> request.response().setStatusCode(500).end(e.toString())));
  }

  /** Runs git http-backend for the request; its output is CGI: headers, a blank line, body. */
  private Buffer cgi(HttpServerRequest request, Buffer body) throws IOException,
      InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(BACKEND.toString());
    Map<String, String> env = builder.environment();
    env.put("GIT_PROJECT_ROOT", root.toString());
    env.put("GIT_HTTP_EXPORT_ALL", "1");
    env.put("REQUEST_METHOD", request.method().name());
    env.put("PATH_INFO", request.path());
    env.put("QUERY_STRING", request.query() == null ? "" : request.query());
    env.put("CONTENT_TYPE", request.getHeader("Content-Type") == null ? ""
        : request.getHeader("Content-Type"));
    env.put("CONTENT_LENGTH", Integer.toString(body.length()));
    env.put("REMOTE_USER", "x-access-token");
    env.put("REMOTE_ADDR", "127.0.0.1");
    if (request.getHeader("Content-Encoding") != null) {
      env.put("HTTP_CONTENT_ENCODING", request.getHeader("Content-Encoding"));
    }
    if (request.getHeader("Git-Protocol") != null) {
      env.put("GIT_PROTOCOL", request.getHeader("Git-Protocol"));
    }
    Process process = builder.redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try (OutputStream in = process.getOutputStream()) {
      in.write(body.getBytes());
    }
    byte[] output;
    try (InputStream out = process.getInputStream()) {
      output = out.readAllBytes();
    }
    process.waitFor(60, TimeUnit.SECONDS);
    return Buffer.buffer(output);
  }

  private static void respond(HttpServerResponse response, Buffer output) {
    byte[] bytes = output.getBytes();
    int end = indexOf(bytes, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    int skip = 4;
    if (end < 0) {
      end = indexOf(bytes, "\n\n".getBytes(StandardCharsets.US_ASCII));
      skip = 2;
    }
    String head = new String(bytes, 0, Math.max(end, 0), StandardCharsets.ISO_8859_1);
    for (String line : head.split("\r?\n")) {
      int colon = line.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String name = line.substring(0, colon).trim();
      String value = line.substring(colon + 1).trim();
      if (name.equalsIgnoreCase("Status")) {
        response.setStatusCode(Integer.parseInt(value.split(" ")[0]));
      } else {
        response.putHeader(name, value);
      }
    }
    ByteArrayOutputStream rest = new ByteArrayOutputStream();
    rest.write(bytes, end + skip, bytes.length - end - skip);
    response.end(Buffer.buffer(rest.toByteArray()));
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Override
  public void close() throws Exception {
    server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
