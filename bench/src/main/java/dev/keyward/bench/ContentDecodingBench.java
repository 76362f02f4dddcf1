package dev.keyward.bench;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.encoder.Encoder;
import dev.keyward.proxy.forward.ContentDecoding;
import dev.keyward.proxy.forward.Redactor;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a compressed response costs: a 16 KiB JSON completion in 4 KiB chunks, redacted as sent
 * (identity, what Keyward asks upstreams for), and decoded then redacted when an upstream
 * compresses anyway (gzip, br).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ContentDecodingBench {

  private static final int CHUNK = 4096;

  private final Redactor redactor = Redactor.forSecret("sk-or-v1-" + "0123456789abcdef".repeat(4));
  private List<Buffer> plain;
  private List<Buffer> gzip;
  private List<Buffer> brotli;

  @Setup
  public void setUp() throws IOException {
    StringBuilder json = new StringBuilder("{\"id\":\"chatcmpl-1\",\"choices\":[{\"message\":"
        + "{\"role\":\"assistant\",\"content\":\"");
    while (json.length() < 16 * 1024) {
      json.append("The quick brown fox jumps over the lazy dog, again and again. ");
    }
    byte[] body = json.append("\"}}]}").toString().getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream zip = new GZIPOutputStream(out)) {
      zip.write(body);
    }
    Brotli4jLoader.ensureAvailability();
    plain = chunks(body);
    gzip = chunks(out.toByteArray());
    brotli = chunks(Encoder.compress(body));
  }

  private static List<Buffer> chunks(byte[] bytes) {
    List<Buffer> out = new ArrayList<>();
    for (int i = 0; i < bytes.length; i += CHUNK) {
      out.add(Buffer.buffer(Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + CHUNK))));
    }
    return out;
  }

  @Benchmark
  public long identityRedacted() {
    Redactor.Stream stream = redactor.newStream();
    long sent = 0;
    for (Buffer chunk : plain) {
      sent += stream.push(chunk).length();
    }
    return sent + stream.finish().length();
  }

  @Benchmark
  public long gzipDecodedThenRedacted() throws Exception {
    return decodedThenRedacted("gzip", gzip);
  }

  @Benchmark
  public long brotliDecodedThenRedacted() throws Exception {
    return decodedThenRedacted("br", brotli);
  }

  private long decodedThenRedacted(String coding, List<Buffer> body) throws Exception {
    ContentDecoding decoding = ContentDecoding.forHeaders(List.of(coding)).orElseThrow();
    Redactor.Stream stream = redactor.newStream();
    long sent = 0;
    for (Buffer chunk : body) {
      sent += stream.push(decoding.chunk(chunk)).length();
    }
    sent += stream.push(decoding.end()).length();
    return sent + stream.finish().length();
  }
}
