package dev.keyward.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Many concurrent slow SSE streams, for bench/load.sh's memory check: an LLM upstream that takes
 * its time, and agents that hold their streams open meanwhile.
 *
 * <pre>
 * SlowStreams upstream PORT INTERVAL_MS CHUNKS
 *     answers every request with CHUNKS OpenAI chat.completion.chunk events, one every
 *     INTERVAL_MS, then the usage event and [DONE]
 * SlowStreams clients URL TOKEN STREAMS TIMEOUT_S
 *     opens STREAMS streamed chat completions at once (each on its own connection), reads each to
 *     its end, prints "STREAMS ok=N failed=N bytes=N", exits 0 only when every one answered 200
 *     and ended with [DONE] within TIMEOUT_S seconds
 * </pre>
 */
public final class SlowStreams {

  private static final String CHUNK = "data: {\"id\":\"chatcmpl-slow\",\"object\":"
      + "\"chat.completion.chunk\",\"model\":\"gpt-5-mini\",\"choices\":[{\"index\":0,"
      + "\"delta\":{\"content\":\"word \"},\"finish_reason\":null}]}\n\n";
  private static final String USAGE = "data: {\"id\":\"chatcmpl-slow\",\"object\":"
      + "\"chat.completion.chunk\",\"model\":\"gpt-5-mini\",\"choices\":[],\"usage\":"
      + "{\"prompt_tokens\":18,\"completion_tokens\":%d,\"total_tokens\":%d}}\n\ndata: [DONE]\n\n";

  private SlowStreams() {}

  public static void main(String[] args) throws Exception {
    switch (args.length > 0 ? args[0] : "") {
      case "upstream" -> upstream(Integer.parseInt(args[1]), Long.parseLong(args[2]),
          Integer.parseInt(args[3]));
      case "clients" -> System.exit(clients(args[1], args[2], Integer.parseInt(args[3]),
          Integer.parseInt(args[4])));
      default -> {
        System.err.println("usage: SlowStreams upstream PORT INTERVAL_MS CHUNKS"
            + " | clients URL TOKEN STREAMS TIMEOUT_S");
        System.exit(2);
      }
    }
  }

  private static void upstream(int port, long intervalMillis, int chunks) {
    Vertx vertx = Vertx.vertx();
    String usage = String.format(USAGE, chunks, chunks + 18);
    vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port))
        .requestHandler(request -> request.body().onSuccess(body -> {
          HttpServerResponse response = request.response().setChunked(true)
              .putHeader("Content-Type", "text/event-stream");
          AtomicInteger sent = new AtomicInteger();
          vertx.setPeriodic(intervalMillis, timer -> {
            if (response.closed()) {
              vertx.cancelTimer(timer);
            } else if (sent.incrementAndGet() <= chunks) {
              response.write(CHUNK);
            } else {
              vertx.cancelTimer(timer);
              response.end(usage);
            }
          });
        }))
        .listen()
        .await();
  }

  private static int clients(String url, String token, int streams, int timeoutSeconds)
      throws Exception {
    Vertx vertx = Vertx.vertx();
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false),
        new PoolOptions().setHttp1MaxSize(streams));
    String body = "{\"model\":\"gpt-5-mini\",\"stream\":true,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"Say hi\"}]}";
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    AtomicLong bytes = new AtomicLong();
    List<Future<?>> all = new ArrayList<>(streams);
    for (int i = 0; i < streams; i++) {
      all.add(client.request(new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(url)
              .putHeader("Authorization", "Bearer " + token)
              .putHeader("Content-Type", "application/json"))
          .compose(request -> request.send(body))
          .compose(response -> response.body().map(answer -> {
            bytes.addAndGet(answer.length());
            return response.statusCode() == 200 && endsWithDone(answer);
          }))
          .andThen(result -> (result.succeeded() && result.result() ? ok : failed)
              .incrementAndGet()));
    }
    try {
      Future.join(all).toCompletionStage().toCompletableFuture()
          .get(timeoutSeconds, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      System.out.printf("STREAMS not all ended within %d s%n", timeoutSeconds);
    } catch (ExecutionException e) {
      // a failed stream: counted below
    }
    System.out.printf("STREAMS ok=%d failed=%d bytes=%d%n", ok.get(), failed.get(), bytes.get());
    vertx.close().await();
    return ok.get() == streams ? 0 : 1;
  }

  private static boolean endsWithDone(Buffer answer) {
    return answer.toString().endsWith("data: [DONE]\n\n");
  }
}
