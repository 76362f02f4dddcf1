package dev.keyward.bench;

import dev.keyward.llm.Api;
import dev.keyward.llm.Endpoint;
import dev.keyward.llm.LlmFormatException;
import dev.keyward.llm.LlmRequest;
import dev.keyward.llm.RewrittenRequest;
import dev.keyward.llm.Usage;
import dev.keyward.llm.UsageMeter;
import dev.keyward.proxy.call.BodyTap;
import dev.keyward.proxy.forward.Redactor;
import dev.keyward.proxy.llm.MeterTap;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the LLM route's response taps cost per stream: the body of bench/load.sh's LLM scenario
 * (200 OpenAI chat chunks, the usage-only chunk, {@code [DONE]}, about 33 KB) in buffers of
 * {@code bufferBytes} (16 KiB: what a socket read of a fast upstream gives; 0: one buffer per
 * event, a slow upstream), through the redaction and the usage meter as the proxy wires them
 * (the usage chunk stripped, as for an agent that did not ask for it; {@link MeterTap}, as the
 * proxy's LLM route adds it), then priced. {@code
 * passThrough} is the same loop without the taps.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class LlmStreamBench {

  static final String CHUNK = "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\","
      + "\"model\":\"gpt-5-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"word \"},"
      + "\"finish_reason\":null}]}\n\n";
  static final String USAGE = "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\","
      + "\"model\":\"gpt-5-mini\",\"choices\":[],\"usage\":{\"prompt_tokens\":18,"
      + "\"completion_tokens\":200,\"total_tokens\":218}}\n\n";

  /** 16384: socket-sized buffers; 0: one buffer per event. */
  @Param({"16384", "0"})
  public int bufferBytes;

  private final Redactor redactor = Redactor.forSecret("sk-proj-" + "0123456789abcdef".repeat(3));
  private LlmRequest request;
  private boolean strip;
  private List<Buffer> buffers;

  @Setup
  public void setUp() throws LlmFormatException {
    Endpoint endpoint = Api.OPENAI.endpoint("POST", "/chat/completions");
    request = LlmRequest.parse(endpoint, "/chat/completions", ("{\"model\":\"gpt-5-mini\","
        + "\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
        .getBytes(StandardCharsets.UTF_8));
    RewrittenRequest upstream = request.rewrite(null, true);
    strip = upstream.stripUsageChunk();
    byte[] body = (CHUNK.repeat(200) + USAGE + "data: [DONE]\n\n").getBytes(StandardCharsets.UTF_8);
    buffers = new ArrayList<>();
    if (bufferBytes > 0) {
      for (int i = 0; i < body.length; i += bufferBytes) {
        buffers.add(Buffer.buffer(Arrays.copyOfRange(body, i, Math.min(body.length, i + bufferBytes))));
      }
    } else {
      int chunk = CHUNK.length();
      for (int i = 0; i < 200; i++) {
        buffers.add(Buffer.buffer(Arrays.copyOfRange(body, i * chunk, (i + 1) * chunk)));
      }
      buffers.add(Buffer.buffer(Arrays.copyOfRange(body, 200 * chunk, body.length)));
    }
  }

  @Benchmark
  public long passThrough() {
    long sent = 0;
    for (Buffer chunk : buffers) {
      sent += chunk.length();
    }
    return sent;
  }

  @Benchmark
  public long redacted() {
    Redactor.Stream redaction = redactor.newStream();
    long sent = 0;
    for (Buffer chunk : buffers) {
      sent += redaction.push(chunk).length();
    }
    return sent + redaction.finish().length();
  }

  @Benchmark
  public long metered() throws BodyTap.Stop {
    UsageMeter meter = UsageMeter.forResponse(request, strip, "text/event-stream");
    MeterTap tap = new MeterTap(meter, Api.OPENAI, null);
    long sent = 0;
    for (Buffer chunk : buffers) {
      sent += tap.chunk(chunk).length();
    }
    sent += tap.end().length();
    return sent + meter.finish(false).outputTokens();
  }

  @Benchmark
  public long redactedAndMetered() throws BodyTap.Stop {
    Redactor.Stream redaction = redactor.newStream();
    UsageMeter meter = UsageMeter.forResponse(request, strip, "text/event-stream");
    MeterTap tap = new MeterTap(meter, Api.OPENAI, null);
    long sent = 0;
    for (Buffer chunk : buffers) {
      Buffer out = redaction.push(chunk);
      if (out.length() > 0) {
        sent += tap.chunk(out).length();
      }
    }
    Buffer tail = redaction.finish();
    if (tail.length() > 0) {
      sent += tap.chunk(tail).length();
    }
    sent += tap.end().length();
    Usage usage = meter.finish(false);
    return sent + usage.outputTokens();
  }
}
