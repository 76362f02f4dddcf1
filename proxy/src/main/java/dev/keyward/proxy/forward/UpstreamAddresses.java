package dev.keyward.proxy.forward;

import dev.keyward.policies.Decision;
import dev.keyward.policies.Hosts;
import dev.keyward.policies.PolicySet;
import dev.keyward.policies.Target;
import dev.keyward.proxy.config.ConnectTo;
import dev.keyward.proxy.error.ErrorCode;
import dev.keyward.proxy.error.ProxyException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.function.Function;

/**
 * The SSRF guard at forward time: resolves the upstream host once, asks the policy about every
 * address it resolves to, and returns the address to connect to. The connection goes to exactly
 * that address (no second lookup), so a DNS answer that changes between check and connect
 * (rebinding) cannot redirect the credential.
 */
public final class UpstreamAddresses {

  private final Vertx vertx;
  private final List<ConnectTo> connectTo;
  private final HostResolver resolver;

  public UpstreamAddresses(Vertx vertx, List<ConnectTo> connectTo, HostResolver resolver) {
    this.vertx = vertx;
    this.connectTo = List.copyOf(connectTo);
    this.resolver = resolver;
  }

  /** The checked address and port to connect to for {@code target}, sending {@code credentialId}. */
  public Future<InetSocketAddress> resolve(Target target, String credentialId, PolicySet policy) {
    return resolve(target.host(), target.port(),
        address -> policy.decideAddress(credentialId, address));
  }

  /** The address and port to connect to for {@code host:port}, each address checked by {@code guard}. */
  public Future<InetSocketAddress> resolve(String host, int port,
      Function<InetAddress, Decision> guard) {
    for (ConnectTo rule : connectTo) {
      if (rule.matches(host, port)) {
        return checked(new InetAddress[] {rule.address()}, rule.toPort(), guard);
      }
    }
    if (Hosts.isIpLiteral(host)) {
      return checked(new InetAddress[] {Hosts.literalAddress(host)}, port, guard);
    }
    return vertx.executeBlocking(() -> lookup(host), false)
        .compose(addresses -> checked(addresses, port, guard));
  }

  private static Future<InetSocketAddress> checked(InetAddress[] addresses, int port,
      Function<InetAddress, Decision> guard) {
    for (InetAddress address : addresses) {
      Decision decision = guard.apply(address);
      if (!decision.allowed()) {
        return Future.failedFuture(ProxyException.denied(decision));
      }
    }
    return Future.succeededFuture(new InetSocketAddress(addresses[0], port));
  }

  private InetAddress[] lookup(String host) throws ProxyException {
    try {
      InetAddress[] addresses = resolver.resolve(host);
      if (addresses == null || addresses.length == 0) {
        throw ErrorCode.UPSTREAM_DNS_ERROR.exception();
      }
      return addresses;
    } catch (UnknownHostException e) {
      throw ErrorCode.UPSTREAM_DNS_ERROR.exception("the upstream host " + host + " does not resolve");
    }
  }
}
