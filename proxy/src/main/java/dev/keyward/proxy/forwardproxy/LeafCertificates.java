package dev.keyward.proxy.forwardproxy;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import dev.keyward.policies.Hosts;
import dev.keyward.vault.Tickers;
import java.net.InetAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509ExtendedKeyManager;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;

/**
 * The certificates Keyward presents inside intercepted tunnels: one leaf per host, issued on the
 * first handshake for it by the {@link ForwardProxyCa}, naming exactly that host, valid for
 * {@link #VALIDITY} and reissued after {@link #REISSUE_AFTER}. All leaves share one key made at
 * start-up, kept in memory only.
 *
 * <p>As the key manager of the intercepting TLS server it picks the certificate by the tunnel the
 * handshake belongs to (the {@code CONNECT} authority the policy allowed), never by what the
 * client asks for: a handshake whose server name (SNI) names another host is refused, and
 * reported to the tunnel.
 */
final class LeafCertificates extends X509ExtendedKeyManager {

  /** How long a leaf certificate is valid. */
  static final Duration VALIDITY = Duration.ofHours(24);
  /** A cached leaf is replaced after this long, well before it expires. */
  static final Duration REISSUE_AFTER = Duration.ofHours(12);
  /** Hosts whose leaf is kept at once. */
  static final long MAX_CACHED = 10_000;
  private static final Duration BACKDATE = Duration.ofHours(1);

  private final ForwardProxyCa ca;
  private final Tunnels tunnels;
  private final Clock clock;
  private final KeyPair leafKey;
  private final LoadingCache<String, X509Certificate[]> chains;

  LeafCertificates(ForwardProxyCa ca, Tunnels tunnels, Clock clock)
      throws GeneralSecurityException {
    this.ca = ca;
    this.tunnels = tunnels;
    this.clock = clock;
    this.leafKey = ForwardProxyCa.ecKeyPair();
    this.chains = Caffeine.newBuilder().ticker(Tickers.of(clock))
        .expireAfterWrite(REISSUE_AFTER).maximumSize(MAX_CACHED)
        .build(host -> new X509Certificate[] {issue(host), ca.certificate()});
  }

  /** The chain presented for {@code normalizedHost}: its leaf, then the CA. */
  X509Certificate[] chainFor(String normalizedHost) {
    return chains.get(normalizedHost);
  }

  private X509Certificate issue(String host) throws GeneralSecurityException {
    Instant now = clock.instant();
    boolean literal = Hosts.isIpLiteral(host);
    String name = literal && host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    try {
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
          X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded()),
          ForwardProxyCa.serial(),
          Date.from(now.minus(BACKDATE)), Date.from(now.plus(VALIDITY)),
          new X500Name("CN=" + (literal ? "keyward-leaf" : host)), leafKey.getPublic())
          .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(literal
              ? new GeneralName(GeneralName.iPAddress, InetAddress.getByName(name).getHostAddress())
              : new GeneralName(GeneralName.dNSName, host)))
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
          .addExtension(Extension.extendedKeyUsage, false,
              new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
          .addExtension(Extension.authorityKeyIdentifier, false,
              new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(ca.certificate()));
      return ForwardProxyCa.sign(builder, ca.key());
    } catch (CertIOException | java.net.UnknownHostException e) {
      throw new GeneralSecurityException("cannot issue a leaf certificate", e);
    }
  }

  /**
   * The tunnel's host, when the handshake comes from the address of a registered tunnel that no
   * connection holds yet and names no other host; null (no certificate: the handshake fails)
   * otherwise.
   */
  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    if (keyType == null || !keyType.startsWith("EC") || engine == null) {
      return null;
    }
    Tunnel tunnel = tunnels.byInner(engine.getPeerHost(), engine.getPeerPort());
    if (tunnel == null || tunnel.claimed()) {
      return null; // not a tunnel, or one a connection already holds
    }
    String requested = serverName(engine.getHandshakeSession());
    if (requested != null && !requested.equals(tunnel.host())) {
      tunnel.serverNameRefused(requested);
      return null;
    }
    return tunnel.host();
  }

  /** The host name the client indicated (SNI), normalised; null when it sent none. */
  private static String serverName(SSLSession session) {
    if (!(session instanceof ExtendedSSLSession extended)) {
      return null;
    }
    List<SNIServerName> names = extended.getRequestedServerNames();
    for (SNIServerName name : names) {
      if (name instanceof SNIHostName host) {
        try {
          return Hosts.normalize(host.getAsciiName());
        } catch (IllegalArgumentException e) {
          return host.getAsciiName();
        }
      }
    }
    return null;
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    return alias == null ? null : chainFor(alias).clone();
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    return alias == null ? null : leafKey.getPrivate();
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return null; // only engines (Netty) serve the intercepting TLS server
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return null;
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return null;
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return null;
  }
}
