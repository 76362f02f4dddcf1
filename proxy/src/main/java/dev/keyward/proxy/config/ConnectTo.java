package dev.keyward.proxy.config;

import dev.keyward.policies.Hosts;
import java.net.InetAddress;

/**
 * A static override of where a host's connections go, as curl's {@code --connect-to}: {@code
 * api.openrouter.ai:443=127.0.0.1:8443}. For staging and tests. The policy still decides on the
 * original host, TLS still verifies the original host's certificate, and the SSRF guard still
 * checks the address connected to.
 */
public record ConnectTo(String host, int port, InetAddress address, int toPort) {

  public static ConnectTo parse(String rule) {
    int eq = rule.indexOf('=');
    if (eq < 0) {
      throw new IllegalArgumentException("'" + rule + "': write host:port=ip:port");
    }
    String[] from = hostPort(rule.substring(0, eq), rule);
    String[] to = hostPort(rule.substring(eq + 1), rule);
    String toHost = Hosts.normalize(to[0]);
    if (!Hosts.isIpLiteral(toHost)) {
      throw new IllegalArgumentException("'" + rule + "': the target must be an IP address");
    }
    return new ConnectTo(Hosts.normalize(from[0]), port(from[1], rule), Hosts.literalAddress(toHost),
        port(to[1], rule));
  }

  public boolean matches(String normalizedHost, int targetPort) {
    return host.equals(normalizedHost) && port == targetPort;
  }

  private static String[] hostPort(String text, String rule) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon < text.lastIndexOf(']')) {
      throw new IllegalArgumentException("'" + rule + "': write host:port=ip:port");
    }
    return new String[] {text.substring(0, colon), text.substring(colon + 1)};
  }

  private static int port(String text, String rule) {
    try {
      int port = Integer.parseInt(text);
      if (port >= 1 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("'" + rule + "': invalid port '" + text + "'");
  }
}
