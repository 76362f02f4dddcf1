package dev.keyward.proxy.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import io.vertx.core.json.JsonObject;
import java.time.Duration;

/** An agent calling Keyward over plain HTTP, as an SDK would. */
public final class Agent {

  private final HttpClient client = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5))
      .followRedirects(HttpClient.Redirect.NEVER)
      .version(HttpClient.Version.HTTP_1_1)
      .build();
  private final String base;

  public Agent(int port) {
    this.base = "http://127.0.0.1:" + port;
  }

  public HttpResponse<String> post(String path, String token, String json) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
        .timeout(Duration.ofSeconds(20))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Exchanges an agent's id and secret for a platform token at POST /v1/tokens. */
  public String exchange(String clientId, String clientSecret) throws Exception {
    HttpResponse<String> response = post("/v1/tokens", null, new JsonObject()
        .put("client_id", clientId).put("client_secret", clientSecret).encode());
    if (response.statusCode() != 200) {
      throw new AssertionError("token exchange failed: " + response.statusCode() + " " + response.body());
    }
    return new JsonObject(response.body()).getString("access_token");
  }

  public HttpResponse<String> get(String path, String token) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).GET();
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return send(request);
  }

  public HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return client.send(request.timeout(Duration.ofSeconds(60)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Sends and keeps the body as bytes (for bodies that may not be text). */
  public HttpResponse<byte[]> sendBytes(HttpRequest.Builder request) throws Exception {
    return client.send(request.timeout(Duration.ofSeconds(60)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  /** Sends and hands the body over as it arrives. */
  public HttpResponse<java.io.InputStream> sendStreaming(HttpRequest.Builder request)
      throws Exception {
    return client.send(request.timeout(Duration.ofSeconds(60)).build(),
        HttpResponse.BodyHandlers.ofInputStream());
  }

  public HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(base + path));
  }

  /** Every response header and the body as one string, for "no trace of X" checks. */
  public static String everything(HttpResponse<String> response) {
    StringBuilder all = new StringBuilder();
    response.headers().map().forEach((k, v) -> all.append(k).append(": ").append(v).append('\n'));
    return all.append(response.body()).toString();
  }
}
