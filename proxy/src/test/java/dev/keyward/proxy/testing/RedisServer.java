package dev.keyward.proxy.testing;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real {@code redis-server} (Debian's package) for one test class: its own port, its own
 * directory, no persistence, stopped by its process. Never a system service.
 *
 * <p>Without {@code redis-server} on the PATH the tests that need it are skipped with a message
 * saying so; with {@code KEYWARD_REQUIRE_REDIS=1} (set by {@code .ci/run}) they fail instead.
 */
public final class RedisServer implements AutoCloseable {

  public static final String REQUIRE = "KEYWARD_REQUIRE_REDIS";

  private final Path binary;
  private final Path dir;
  private final int port;
  private Process process;

  private RedisServer(Path binary, Path dir, int port) {
    this.binary = binary;
    this.dir = dir;
    this.port = port;
  }

  /** Starts a server in {@code dir}, or skips (fails, with {@value #REQUIRE}=1) without one. */
  public static RedisServer startOrSkip(Path dir) throws IOException {
    Optional<Path> binary = find();
    if (binary.isEmpty()) {
      String message = "redis-server is not installed (apt-get install redis-server): the tests"
          + " against a real Redis are skipped";
      if ("1".equals(System.getenv(REQUIRE))) {
        fail(message + ", but " + REQUIRE + "=1 requires them");
      }
      Assumptions.abort(message);
    }
    RedisServer server = new RedisServer(binary.get(), dir, freePort());
    server.start();
    return server;
  }

  public int port() {
    return port;
  }

  /** {@code redis://127.0.0.1:<port>}. */
  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  /** Starts the server (again, on the same port, empty) and waits until it answers. */
  public void start() throws IOException {
    if (process != null && process.isAlive()) {
      return;
    }
    Files.createDirectories(dir);
    process = new ProcessBuilder(binary.toString(), "--port", Integer.toString(port),
        "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString(),
        "--daemonize", "no")
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("redis-" + port + ".log").toFile())
        .start();
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
        .until(() -> !process.isAlive() || answers());
    if (!process.isAlive()) {
      fail("redis-server did not start; see " + dir.resolve("redis-" + port + ".log"));
    }
  }

  /** Stops the server by its process and waits until it is gone. */
  public void stop() throws InterruptedException {
    if (process == null) {
      return;
    }
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }

  private boolean answers() {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(2000);
      OutputStream out = socket.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] reply = new byte[7];
      int n = in.readNBytes(reply, 0, 7);
      return new String(reply, 0, n, StandardCharsets.US_ASCII).equals("+PONG\r\n");
    } catch (IOException e) {
      return false;
    }
  }

  private static Optional<Path> find() {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String entry : List.of(path.split(File.pathSeparator))) {
      Path candidate = Path.of(entry.isEmpty() ? "." : entry, "redis-server");
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
