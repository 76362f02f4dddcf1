package dev.keyward.proxy.stage;

import dev.keyward.policies.Target;
import dev.keyward.proxy.forward.HeaderHygiene;
import dev.keyward.proxy.forward.Redactor;
import dev.keyward.vault.Injection;
import dev.keyward.vault.InsecureSecretAccess;
import dev.keyward.vault.Secret;
import io.vertx.core.MultiMap;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Stage 5: the upstream request's headers (and query) with the credential in place of whatever the
 * agent sent. The only stage that reads a plaintext key; it destroys the secret's bytes when done.
 */
public final class Inject {

  /**
   * What to send upstream, and the redactor that keeps the secret out of what comes back.
   */
  public record Outbound(Target target, MultiMap headers, Redactor redactor) {

    /** The headers (and, for a query credential, the query) hold the key: never printed. */
    @Override
    public String toString() {
      return "Outbound[" + target.scheme() + "://" + target.host() + ":" + target.port()
          + target.path() + ", " + headers.size() + " headers]";
    }
  }

  private final HeaderHygiene hygiene;

  public Inject(HeaderHygiene hygiene) {
    this.hygiene = hygiene;
  }

  public Outbound apply(MultiMap agentHeaders, Target target, Injection injection, Secret secret,
      String requestId) {
    try {
      MultiMap headers = hygiene.toUpstream(agentHeaders, injection);
      headers.set("X-Request-Id", requestId);
      injection.extraHeaders().forEach(headers::set);
      String text = secret.text(InsecureSecretAccess.get());
      Redactor redactor = Redactor.forSecret(text);
      String value = injection.render(text);
      if (injection.location() == Injection.Location.HEADER) {
        headers.set(injection.name(), value);
        return new Outbound(target, headers, redactor);
      }
      String query = withParameter(target.query(), injection.name(), value);
      Target withKey = new Target(target.scheme(), target.host(), target.port(), target.path(), query);
      return new Outbound(withKey, headers, redactor);
    } finally {
      secret.destroy();
    }
  }

  /**
   * The query with {@code name} set to {@code value}, dropping every parameter the agent sent
   * under that name in any case or percent-encoding.
   */
  static String withParameter(String query, String name, String value) {
    List<String> parts = new ArrayList<>();
    if (query != null && !query.isEmpty()) {
      for (String part : query.split("&")) {
        int eq = part.indexOf('=');
        String key = eq < 0 ? part : part.substring(0, eq);
        if (!decodedEquals(key, name)) {
          parts.add(part);
        }
      }
    }
    parts.add(URLEncoder.encode(name, StandardCharsets.UTF_8) + "="
        + URLEncoder.encode(value, StandardCharsets.UTF_8));
    return String.join("&", parts);
  }

  private static boolean decodedEquals(String encodedKey, String name) {
    try {
      return URLDecoder.decode(encodedKey, StandardCharsets.UTF_8).equalsIgnoreCase(name);
    } catch (IllegalArgumentException e) {
      return encodedKey.equalsIgnoreCase(name); // malformed escapes: compare as written
    }
  }
}
