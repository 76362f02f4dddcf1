package dev.keyward.proxy.forward;

import io.vertx.core.net.TrustOptions;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Which upstream certificates are trusted: the JDK's CAs, plus any extra CA certificates (PEM) the
 * operator configures, e.g. a private CA in front of a self-hosted model. Extra CAs are added to the
 * system ones, never replace them. Host names are still verified by the JDK.
 */
public final class UpstreamTrust {

  private UpstreamTrust() {}

  public static TrustOptions withExtraCas(List<Path> pemFiles)
      throws IOException, GeneralSecurityException {
    X509ExtendedTrustManager system = trustManager(null);
    if (pemFiles.isEmpty()) {
      return TrustOptions.wrap(system);
    }
    KeyStore extra = KeyStore.getInstance(KeyStore.getDefaultType());
    extra.load(null, null);
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    int n = 0;
    for (Path file : pemFiles) {
      try (InputStream in = Files.newInputStream(file)) {
        for (Certificate certificate : factory.generateCertificates(in)) {
          extra.setCertificateEntry("extra-ca-" + n++, certificate);
        }
      }
      if (n == 0) {
        throw new CertificateException("no certificate in " + file);
      }
    }
    return TrustOptions.wrap(new Either(trustManager(extra), system));
  }

  private static X509ExtendedTrustManager trustManager(KeyStore keyStore)
      throws GeneralSecurityException {
    TrustManagerFactory factory =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(keyStore);
    for (TrustManager tm : factory.getTrustManagers()) {
      if (tm instanceof X509ExtendedTrustManager x509) {
        return x509;
      }
    }
    throw new GeneralSecurityException("no X.509 trust manager available");
  }

  /** Trusts a chain either trust manager accepts; each one verifies the host name itself. */
  private static final class Either extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager first;
    private final X509ExtendedTrustManager second;

    Either(X509ExtendedTrustManager first, X509ExtendedTrustManager second) {
      this.first = first;
      this.second = second;
    }

    private interface Check {
      void run(X509ExtendedTrustManager tm) throws CertificateException;
    }

    private void either(Check check) throws CertificateException {
      try {
        check.run(first);
      } catch (CertificateException e) {
        check.run(second);
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      either(tm -> tm.checkServerTrusted(chain, authType, engine));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      either(tm -> tm.checkServerTrusted(chain, authType, socket));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      either(tm -> tm.checkServerTrusted(chain, authType));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      throw new CertificateException("Keyward's upstream client does not accept client certificates");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      throw new CertificateException("Keyward's upstream client does not accept client certificates");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      throw new CertificateException("Keyward's upstream client does not accept client certificates");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      List<X509Certificate> all = new ArrayList<>(List.of(first.getAcceptedIssuers()));
      all.addAll(List.of(second.getAcceptedIssuers()));
      return all.toArray(new X509Certificate[0]);
    }
  }
}
