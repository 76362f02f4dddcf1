package dev.keyward.proxy.console;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;

/**
 * The console over plain HTTP, as a browser would use it (its cookies, the Origin header on
 * POSTs, hidden form fields), for the tests that need no real browser.
 */
final class ConsoleClient {

  private static final Pattern HIDDEN = Pattern.compile(
      "<input type=\"hidden\" name=\"([a-z_]+)\" value=\"([^\"]*)\">");

  private final HttpClient client;
  private final String origin;
  private final Map<String, String> cookies = new LinkedHashMap<>();

  ConsoleClient(String origin) {
    this(origin, null);
  }

  ConsoleClient(String origin, SSLContext tls) {
    HttpClient.Builder builder = HttpClient.newBuilder()
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(Duration.ofSeconds(5));
    if (tls != null) {
      builder.sslContext(tls);
    }
    this.client = builder.build();
    this.origin = origin;
  }

  HttpResponse<String> get(String path) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(origin + path)).GET());
  }

  /** A form POST from one of the console's own pages (same Origin). */
  HttpResponse<String> post(String path, Map<String, String> form) throws Exception {
    return post(path, form, origin);
  }

  /** A form POST as a page of {@code from} would send it (null: no Origin header). */
  HttpResponse<String> post(String path, Map<String, String> form, String from)
      throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(origin + path))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(encode(form)));
    if (from != null) {
      request.header("Origin", from);
    }
    return send(request);
  }

  /** Signs in with {@code token} through the sign-in form; returns the answer to the POST. */
  HttpResponse<String> signIn(String token) throws Exception {
    HttpResponse<String> page = get("/console/sign-in");
    Map<String, String> form = new LinkedHashMap<>(hidden(page.body()));
    form.put("token", token);
    return post("/console/sign-in", form);
  }

  /** The hidden fields of a page's forms (the CSRF token, the sign-in nonce). */
  static Map<String, String> hidden(String html) {
    Map<String, String> fields = new LinkedHashMap<>();
    Matcher m = HIDDEN.matcher(html);
    while (m.find()) {
      fields.putIfAbsent(m.group(1), m.group(2).replace("&#34;", "\"").replace("&amp;", "&"));
    }
    return fields;
  }

  String csrf() throws Exception {
    return hidden(get("/console/audit").body()).get("csrf");
  }

  String cookie(String name) {
    return cookies.get(name);
  }

  /** Sets a cookie by hand (to replay an old session id). */
  void cookie(String name, String value) {
    cookies.put(name, value);
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    if (!cookies.isEmpty()) {
      request.header("Cookie", cookies.entrySet().stream()
          .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining("; ")));
    }
    HttpResponse<String> response = client.send(request.timeout(Duration.ofSeconds(60)).build(),
        HttpResponse.BodyHandlers.ofString());
    for (String set : response.headers().allValues("set-cookie")) {
      String pair = set.split(";", 2)[0];
      String name = pair.substring(0, pair.indexOf('='));
      String value = pair.substring(pair.indexOf('=') + 1);
      if (value.isEmpty() || set.contains("Max-Age=0")) {
        cookies.remove(name);
      } else {
        cookies.put(name, value);
      }
    }
    return response;
  }

  /** The Set-Cookie header that set {@code name}. */
  static String setCookie(HttpHeaders headers, String name) {
    List<String> all = headers.allValues("set-cookie");
    return all.stream().filter(c -> c.startsWith(name + "=")).findFirst()
        .orElseThrow(() -> new AssertionError("no cookie " + name + " in " + all));
  }

  private static String encode(Map<String, String> form) {
    return form.entrySet().stream().map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)
        + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
        .collect(Collectors.joining("&"));
  }
}
