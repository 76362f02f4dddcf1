package dev.keyward.proxy.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * A client of a forward proxy at the byte level, so a test controls what curl would not let it:
 * the CONNECT line and its Proxy-Authorization, the TLS server name, the inner Host header.
 */
public final class ProxyClient {

  /** One HTTP response: status, headers (lower-case names), body (de-chunked). */
  public record Response(int status, Map<String, String> headers, String body) {

    public String everything() {
      return status + "\n" + headers + "\n" + body;
    }
  }

  private final int proxyPort;

  public ProxyClient(int proxyPort) {
    this.proxyPort = proxyPort;
  }

  /** {@code Proxy-Authorization: Basic base64(agent:token)}, as HTTPS_PROXY URLs send it. */
  public static String basic(String token) {
    return "Basic " + Base64.getEncoder().encodeToString(("agent-1:" + token)
        .getBytes(StandardCharsets.UTF_8));
  }

  /** Sends {@code CONNECT authority} and returns the proxy's answer (the socket stays open). */
  public Socket connect(String authority, String proxyAuthorization, Response[] answer)
      throws IOException {
    Socket socket = new Socket("127.0.0.1", proxyPort);
    socket.setSoTimeout(30_000);
    StringBuilder head = new StringBuilder("CONNECT " + authority + " HTTP/1.1\r\nHost: "
        + authority + "\r\n");
    if (proxyAuthorization != null) {
      head.append("Proxy-Authorization: ").append(proxyAuthorization).append("\r\n");
    }
    socket.getOutputStream().write(head.append("\r\n").toString()
        .getBytes(StandardCharsets.US_ASCII));
    answer[0] = read(socket.getInputStream(), true);
    return socket;
  }

  /**
   * CONNECT, TLS with {@code serverName} (trusting {@code tls}), then one request inside.
   *
   * @param headers extra request headers; {@code Host} among them replaces the default
   */
  public Response https(String authority, String proxyAuthorization, SSLContext tls,
      String serverName, String method, String path, Map<String, String> headers)
      throws IOException {
    return https(authority, proxyAuthorization, tls, serverName, method, path, headers,
        java.time.Duration.ZERO);
  }

  /** As {@link #https}, with a request body ({@code Content-Length} set). */
  public Response https(String authority, String proxyAuthorization, SSLContext tls,
      String serverName, String method, String path, Map<String, String> headers, String body)
      throws IOException {
    Response[] answer = new Response[1];
    try (Socket tunnel = connect(authority, proxyAuthorization, answer)) {
      if (answer[0].status() != 200) {
        return answer[0];
      }
      return request(startTls(tunnel, authority, tls, serverName), method, path, authority,
          headers, false, body.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** As {@link #https}, the client pausing {@code pause} after the TLS handshake: a slow agent. */
  public Response https(String authority, String proxyAuthorization, SSLContext tls,
      String serverName, String method, String path, Map<String, String> headers,
      java.time.Duration pause) throws IOException {
    Response[] answer = new Response[1];
    try (Socket tunnel = connect(authority, proxyAuthorization, answer)) {
      if (answer[0].status() != 200) {
        return answer[0];
      }
      SSLSocket socket = startTls(tunnel, authority, tls, serverName);
      try {
        Thread.sleep(pause.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
      return request(socket, method, path, authority, headers);
    }
  }

  /**
   * An intercepted tunnel kept open: CONNECT, TLS with {@code serverName}, then as many requests
   * as the test sends (kept alive).
   */
  public Session open(String authority, String proxyAuthorization, SSLContext tls,
      String serverName) throws IOException {
    Response[] answer = new Response[1];
    Socket tunnel = connect(authority, proxyAuthorization, answer);
    if (answer[0].status() != 200) {
      tunnel.close();
      throw new IOException("the CONNECT was refused: " + answer[0].everything());
    }
    return new Session(startTls(tunnel, authority, tls, serverName), authority);
  }

  /** TLS inside the tunnel, naming {@code serverName}, handshake done. */
  private static SSLSocket startTls(Socket tunnel, String authority, SSLContext tls,
      String serverName) throws IOException {
    String host = authority.substring(0, authority.lastIndexOf(':'));
    SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket(tunnel, host,
        tunnel.getPort(), true);
    SSLParameters parameters = socket.getSSLParameters();
    parameters.setServerNames(List.of(new SNIHostName(serverName)));
    socket.setSSLParameters(parameters);
    socket.startHandshake();
    return socket;
  }

  /** One open tunnel, TLS inside established. */
  public static final class Session implements java.io.Closeable {

    private final SSLSocket socket;
    private final String authority;

    private Session(SSLSocket socket, String authority) {
      this.socket = socket;
      this.authority = authority;
    }

    /** One request inside the tunnel, the connection kept alive. */
    public Response send(String method, String path, Map<String, String> headers)
        throws IOException {
      return request(socket, method, path, authority, headers, true);
    }

    /**
     * Waits, at most the socket's read timeout, for the proxy to close the tunnel: true when it
     * did, false when it stayed open that long.
     */
    public boolean closedByTheProxy() throws IOException {
      try {
        return socket.getInputStream().read() == -1;
      } catch (java.net.SocketTimeoutException e) {
        return false;
      } catch (javax.net.ssl.SSLException | java.net.SocketException e) {
        return true;
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /** A plain-HTTP request in absolute form to the proxy. */
  public Response http(String url, String proxyAuthorization, Map<String, String> headers)
      throws IOException {
    try (Socket socket = new Socket("127.0.0.1", proxyPort)) {
      socket.setSoTimeout(30_000);
      Map<String, String> all = new LinkedHashMap<>(headers);
      if (proxyAuthorization != null) {
        all.put("Proxy-Authorization", proxyAuthorization);
      }
      String authority = url.replaceFirst("^http://", "").replaceFirst("/.*$", "");
      return request(socket, "GET", url, authority, all);
    }
  }

  private static Response request(Socket socket, String method, String target, String authority,
      Map<String, String> headers) throws IOException {
    return request(socket, method, target, authority, headers, false);
  }

  private static Response request(Socket socket, String method, String target, String authority,
      Map<String, String> headers, boolean keepAlive) throws IOException {
    return request(socket, method, target, authority, headers, keepAlive, null);
  }

  private static Response request(Socket socket, String method, String target, String authority,
      Map<String, String> headers, boolean keepAlive, byte[] body) throws IOException {
    Map<String, String> all = new LinkedHashMap<>();
    all.put("Host", authority.endsWith(":443") ? authority.substring(0, authority.length() - 4)
        : authority);
    all.putAll(headers);
    if (!keepAlive) {
      all.put("Connection", "close");
    }
    if (body != null) {
      all.put("Content-Length", Integer.toString(body.length));
    }
    StringBuilder head = new StringBuilder(method + " " + target + " HTTP/1.1\r\n");
    all.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
    OutputStream out = socket.getOutputStream();
    out.write(head.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
    if (body != null) {
      out.write(body);
    }
    out.flush();
    return read(socket.getInputStream(), false);
  }

  /** Reads a response head, and its body unless {@code headOnly} (a CONNECT's answer). */
  private static Response read(InputStream in, boolean headOnly) throws IOException {
    String status = line(in);
    if (status == null) {
      throw new IOException("the proxy closed the connection without answering");
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (String line = line(in); line != null && !line.isEmpty(); line = line(in)) {
      int colon = line.indexOf(':');
      headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
          line.substring(colon + 1).trim());
    }
    int code = Integer.parseInt(status.split(" ")[1]);
    if (headOnly && code == 200) {
      return new Response(code, headers, "");
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      for (String size = line(in); size != null; size = line(in)) {
        int length = Integer.parseInt(size.split(";")[0].trim(), 16);
        if (length == 0) {
          for (String trailer = line(in); trailer != null && !trailer.isEmpty();
              trailer = line(in)) {
            // trailers and the final empty line: the next response starts after them
          }
          break;
        }
        body.write(in.readNBytes(length));
        line(in);
      }
    } else if (headers.containsKey("content-length")) {
      body.write(in.readNBytes(Integer.parseInt(headers.get("content-length"))));
    } else if (!headOnly) {
      body.write(in.readAllBytes());
    }
    return new Response(code, headers, body.toString(StandardCharsets.UTF_8));
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); b != -1; b = in.read()) {
      if (b == '\n') {
        String text = line.toString(StandardCharsets.ISO_8859_1);
        return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
      }
      line.write(b);
    }
    return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
  }
}
