package io.voyager.bdk.support.tls;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import io.voyager.bdk.support.GrpcServers;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;

/**
 * Mutual TLS for the JDK's own HTTP server ({@code com.sun.net.httpserver.HttpsServer}) and client
 * ({@code java.net.http.HttpClient}), as {@link GrpcServers} does for gRPC: this peer presents
 * {@code files}' certificate and accepts only a peer whose certificate chains to {@code files}' CA;
 * certificate, key and CA are re-read every {@link GrpcServers#RELOAD_PERIOD_SECONDS} s when they
 * changed (cert-manager renews them in place), so no restart is needed. Both directions:
 * <ul>
 *   <li>as a server ({@link #serverConfigurator()}): TLS 1.2+, a client certificate is REQUIRED
 *       (a client without one, or with another CA's, fails the handshake); the CA alone decides
 *       (a client certificate has no host name);</li>
 *   <li>as a client ({@link #clientContext()} in an {@code HttpClient}): the server's certificate must
 *       chain to the CA AND name the host dialled (DNS or IP SAN) — the client's endpoint
 *       identification, which {@code HttpClient} always asks for.</li>
 * </ul>
 * {@link #close()} stops the reloading.
 */
public final class JdkTls implements AutoCloseable {
  private final SSLContext serverContext;
  private final SSLContext clientContext;
  private final List<AutoCloseable> resources;

  private JdkTls(SSLContext serverContext, SSLContext clientContext, List<AutoCloseable> resources) {
    this.serverContext = serverContext;
    this.clientContext = clientContext;
    this.resources = List.copyOf(resources);
  }

  /**
   * Loads {@code files} and starts re-reading them.
   *
   * @throws IllegalArgumentException naming the files when they cannot be used
   */
  public static JdkTls mutual(TlsFiles files) {
    List<AutoCloseable> resources = new ArrayList<>();
    ScheduledExecutorService reloader = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "jdk-tls-reload");
      t.setDaemon(true);
      return t;
    });
    resources.add(reloader::shutdownNow);
    try {
      AdvancedTlsX509KeyManager keys = new AdvancedTlsX509KeyManager();
      resources.add(keys.updateIdentityCredentials(files.certificate().toFile(), files.privateKey().toFile(),
          GrpcServers.RELOAD_PERIOD_SECONDS, TimeUnit.SECONDS, reloader)::close);
      // As a server there is no host name to check: the CA decides. As a client the server's
      // certificate must also name the host dialled.
      AdvancedTlsX509TrustManager clients = trustManager(AdvancedTlsX509TrustManager.Verification.CERTIFICATE_ONLY_VERIFICATION,
          files, reloader, resources);
      AdvancedTlsX509TrustManager servers = trustManager(
          AdvancedTlsX509TrustManager.Verification.CERTIFICATE_AND_HOST_NAME_VERIFICATION, files, reloader, resources);
      SSLContext server = SSLContext.getInstance("TLS");
      server.init(new KeyManager[] {keys}, new TrustManager[] {clients}, null);
      SSLContext client = SSLContext.getInstance("TLS");
      client.init(new KeyManager[] {keys}, new TrustManager[] {servers}, null);
      return new JdkTls(server, client, resources);
    } catch (IOException | GeneralSecurityException e) {
      closeAll(resources);
      throw new IllegalArgumentException("cannot load TLS files (certificate " + files.certificate() + ", key "
          + files.privateKey() + ", CA " + files.trustedCa() + "): " + e.getMessage(), e);
    }
  }

  private static AdvancedTlsX509TrustManager trustManager(AdvancedTlsX509TrustManager.Verification verification,
      TlsFiles files, ScheduledExecutorService reloader, List<AutoCloseable> resources)
      throws IOException, GeneralSecurityException {
    AdvancedTlsX509TrustManager trust = AdvancedTlsX509TrustManager.newBuilder().setVerification(verification).build();
    resources.add(trust.updateTrustCredentials(files.trustedCa().toFile(), GrpcServers.RELOAD_PERIOD_SECONDS,
        TimeUnit.SECONDS, reloader)::close);
    return trust;
  }

  /** For an {@code HttpClient}: presents the certificate, verifies the server's CA and host name. */
  public SSLContext clientContext() {
    return clientContext;
  }

  /** For an {@code HttpsServer}: TLS 1.2+, a client certificate of the CA required. */
  public HttpsConfigurator serverConfigurator() {
    return new HttpsConfigurator(serverContext) {
      @Override
      public void configure(HttpsParameters params) {
        SSLParameters parameters = serverContext.getDefaultSSLParameters();
        parameters.setNeedClientAuth(true);
        parameters.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
        params.setSSLParameters(parameters);
      }
    };
  }

  /** TLS 1.2+ for the client side (an {@code HttpClient.Builder.sslParameters}). */
  public SSLParameters clientParameters() {
    SSLParameters parameters = clientContext.getDefaultSSLParameters();
    parameters.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
    return parameters;
  }

  @Override
  public void close() {
    closeAll(resources);
  }

  private static void closeAll(List<AutoCloseable> resources) {
    for (AutoCloseable resource : resources) {
      try {
        resource.close();
      } catch (Exception e) {
        // best effort
      }
    }
  }
}
