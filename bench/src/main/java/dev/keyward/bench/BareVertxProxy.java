package dev.keyward.bench;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

/**
 * The floor for a proxy on Vert.x, for bench/load.sh: one server per core, each request forwarded
 * with a static Authorization header, the bodies piped both ways. No authentication, policy, key,
 * audit, metrics, limits or timeouts: what Keyward costs above this is what those cost.
 *
 * <p>{@code java -cp 'bench/target/keyward-bench.jar:bench/target/lib/*'
 * dev.keyward.bench.BareVertxProxy LISTEN_PORT UPSTREAM_PORT}
 */
public final class BareVertxProxy extends VerticleBase {

  private final int port;
  private final int upstreamPort;

  private BareVertxProxy(int port, int upstreamPort) {
    this.port = port;
    this.upstreamPort = upstreamPort;
  }

  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    int upstreamPort = Integer.parseInt(args[1]);
    Vertx.vertx().deployVerticle(() -> new BareVertxProxy(port, upstreamPort),
        new DeploymentOptions().setInstances(Runtime.getRuntime().availableProcessors()))
        .await();
  }

  @Override
  public Future<?> start() {
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(128));
    return vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port))
        .requestHandler(request -> {
          request.pause();
          client.request(new RequestOptions().setMethod(request.method()).setHost("127.0.0.1")
                  .setPort(upstreamPort).setURI(request.uri()))
              .compose(upstream -> {
                upstream.headers().addAll(request.headers()).remove("Host");
                upstream.putHeader("Authorization", "Bearer sk-bench-static-key");
                return upstream.send(request);
              })
              .onSuccess(response -> {
                request.response().setStatusCode(response.statusCode());
                request.response().headers().addAll(response.headers());
                response.pipeTo(request.response());
              })
              .onFailure(failure -> request.response().setStatusCode(502).end());
        })
        .listen();
  }
}
