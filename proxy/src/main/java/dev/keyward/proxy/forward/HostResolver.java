package dev.keyward.proxy.forward;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Turns an upstream host name into addresses. Called once per request: the SSRF guard checks
 * every address returned and the connection goes to the first, so nothing resolves the name
 * again between check and connect.
 */
@FunctionalInterface
public interface HostResolver {

  /** The JVM's resolver (which caches answers for {@code networkaddress.cache.ttl}, 30 s). */
  HostResolver SYSTEM = InetAddress::getAllByName;

  InetAddress[] resolve(String host) throws UnknownHostException;
}
