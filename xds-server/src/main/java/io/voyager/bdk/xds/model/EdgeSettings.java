package io.voyager.bdk.xds.model;

import java.time.Duration;
import java.util.Objects;

/**
 * How the gateway faces clients and reaches its own services (flags of the xds-server).
 *
 * @param httpsPort port of the HTTPS listener (TLS 1.2+, ALPN h2 and http/1.1)
 * @param tlsSecret the {@code kubernetes.io/tls} Secret whose certificate the HTTPS listener
 *     serves (delivered to Envoy over SDS); null: no HTTPS listener
 * @param plainHttp what the plain HTTP listener does: serve every route, or only redirect to HTTPS
 * @param xffTrustedHops proxies in front of Envoy whose {@code X-Forwarded-For} entries are trusted
 *     (0: the client is the TCP peer)
 * @param limits connection and request limits of both listeners
 * @param webhookClientLimit requests per client address on webhook routes, before authentication
 * @param upstreamTls how Envoy reaches ext-authz and the library-service
 */
public record EdgeSettings(
    int httpsPort,
    SecretName tlsSecret,
    PlainHttp plainHttp,
    int xffTrustedHops,
    Limits limits,
    ClientLimit webhookClientLimit,
    UpstreamTls upstreamTls) {

  /** What the plain HTTP listener does. */
  public enum PlainHttp {
    /** Every route, as on HTTPS (local use). */
    SERVE,
    /** Nothing but a 301 to the same URL on https (k8s/deploy). */
    REDIRECT
  }

  /** A namespaced Secret. */
  public record SecretName(String namespace, String name) {
    public SecretName {
      if (namespace == null || namespace.isBlank() || name == null || name.isBlank()) {
        throw new IllegalArgumentException("must be NAMESPACE/NAME");
      }
    }

    public static SecretName parse(String value) {
      int slash = value == null ? -1 : value.indexOf('/');
      if (slash <= 0 || slash == value.length() - 1 || value.indexOf('/', slash + 1) >= 0) {
        throw new IllegalArgumentException("must be NAMESPACE/NAME, got '" + value + "'");
      }
      return new SecretName(value.substring(0, slash), value.substring(slash + 1));
    }

    @Override
    public String toString() {
      return namespace + "/" + name;
    }
  }

  /**
   * Connection and request limits of the public listeners.
   *
   * @param requestHeadersTimeout time to receive a request's complete headers
   * @param streamIdleTimeout a stream with no activity this long is reset
   * @param maxRequestHeadersKb request header block limit (larger: 431)
   * @param maxConcurrentStreams HTTP/2 streams per connection
   * @param initialStreamWindowBytes HTTP/2 initial stream flow-control window
   * @param initialConnectionWindowBytes HTTP/2 initial connection flow-control window
   */
  public record Limits(
      Duration requestHeadersTimeout,
      Duration streamIdleTimeout,
      int maxRequestHeadersKb,
      int maxConcurrentStreams,
      int initialStreamWindowBytes,
      int initialConnectionWindowBytes) {
    public Limits {
      positive(requestHeadersTimeout, "request-headers-timeout");
      positive(streamIdleTimeout, "stream-idle-timeout");
      if (maxRequestHeadersKb < 1 || maxRequestHeadersKb > 8192) {
        throw new IllegalArgumentException("max-request-headers-kb: must be from 1 to 8192, got " + maxRequestHeadersKb);
      }
      if (maxConcurrentStreams < 1 || maxConcurrentStreams > 2147483647) {
        throw new IllegalArgumentException("http2-max-concurrent-streams: must be at least 1, got " + maxConcurrentStreams);
      }
      // Envoy's bounds for HTTP/2 windows: 65535 to 2^31 - 1.
      if (initialStreamWindowBytes < 65535) {
        throw new IllegalArgumentException("http2-initial-stream-window-bytes: must be at least 65535, got " + initialStreamWindowBytes);
      }
      if (initialConnectionWindowBytes < 65535) {
        throw new IllegalArgumentException("http2-initial-connection-window-bytes: must be at least 65535, got " + initialConnectionWindowBytes);
      }
    }

    public static final Limits DEFAULTS = new Limits(Duration.ofSeconds(10), Duration.ofSeconds(60), 60, 100, 65536, 1048576);

    private static void positive(Duration d, String flag) {
      if (d == null || d.isNegative() || d.isZero() || d.toMillis() < 1) {
        throw new IllegalArgumentException(flag + ": must be positive (ISO-8601, e.g. PT10S), got " + d);
      }
    }
  }

  /**
   * A token bucket per client address (after {@code use_remote_address} and the trusted hops),
   * shared by all webhook routes; {@code maxAddresses} buckets at most (least recently used go).
   */
  public record ClientLimit(int requestsPerSecond, int burst, int maxAddresses) {
    public ClientLimit {
      if (requestsPerSecond < 1) {
        throw new IllegalArgumentException("webhook-client-rate: must be at least 1 request per second, got " + requestsPerSecond);
      }
      if (burst < 1) {
        throw new IllegalArgumentException("webhook-client-burst: must be at least 1, got " + burst);
      }
      if (maxAddresses < 1) {
        throw new IllegalArgumentException("webhook-client-max-addresses: must be at least 1, got " + maxAddresses);
      }
    }

    public static final ClientLimit DEFAULTS = new ClientLimit(50, 100, 10000);
  }

  /** How Envoy reaches ext-authz and the library-service. */
  public sealed interface UpstreamTls {}

  /** Plaintext HTTP/2: only for services started with {@code --plaintext} (local tools). */
  public record PlaintextUpstreams() implements UpstreamTls {}

  /**
   * Mutual TLS: Envoy presents its client certificate and verifies the server's against the
   * internal CA and its name ({@code <service>.<namespace>.svc}); both come from filesystem SDS
   * files on Envoy's own disk, {@code sdsDirectory}/{@value #CLIENT_SDS_FILE} and
   * {@value #CA_SDS_FILE}, which name the certificate files (re-read when they change) — the same
   * files Envoy's ADS connection uses. Envoy's private key never leaves its pod.
   */
  public record MutualTlsUpstreams(String sdsDirectory) implements UpstreamTls {
    public static final String CLIENT_SDS_FILE = "internal-client.yaml";
    public static final String CA_SDS_FILE = "internal-ca.yaml";
    public static final String CLIENT_SECRET = "bdk-internal-client";
    public static final String CA_SECRET = "bdk-internal-ca";
    public static final String DEFAULT_DIRECTORY = "/etc/envoy/sds";

    public MutualTlsUpstreams {
      if (sdsDirectory == null || sdsDirectory.isBlank() || !sdsDirectory.startsWith("/")) {
        throw new IllegalArgumentException("envoy-sds-dir: must be an absolute path on Envoy's filesystem, got '" + sdsDirectory + "'");
      }
      while (sdsDirectory.length() > 1 && sdsDirectory.endsWith("/")) {
        sdsDirectory = sdsDirectory.substring(0, sdsDirectory.length() - 1);
      }
    }

    public String clientSdsPath() {
      return sdsDirectory + "/" + CLIENT_SDS_FILE;
    }

    public String caSdsPath() {
      return sdsDirectory + "/" + CA_SDS_FILE;
    }
  }

  public EdgeSettings {
    if (!PortNumbers.isPort(httpsPort)) {
      throw new IllegalArgumentException("https-listener-port: " + httpsPort + " " + PortNumbers.NOT_A_PORT);
    }
    Objects.requireNonNull(plainHttp, "plain-http");
    if (xffTrustedHops < 0 || xffTrustedHops > 10) {
      throw new IllegalArgumentException("xff-num-trusted-hops: must be from 0 to 10, got " + xffTrustedHops);
    }
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(webhookClientLimit, "webhook client limit");
    Objects.requireNonNull(upstreamTls, "upstream TLS");
    if (plainHttp == PlainHttp.REDIRECT && tlsSecret == null) {
      throw new IllegalArgumentException("plain-http: redirect needs an HTTPS listener (--edge-tls-secret)");
    }
  }

  /** The local defaults: HTTPS on 8443 with bdk/bdk-edge-tls, plain HTTP served, mutual TLS upstream. */
  public static final EdgeSettings DEFAULTS = new EdgeSettings(8443, new SecretName("bdk", "bdk-edge-tls"),
      PlainHttp.SERVE, 0, Limits.DEFAULTS, ClientLimit.DEFAULTS,
      new MutualTlsUpstreams(MutualTlsUpstreams.DEFAULT_DIRECTORY));

  public EdgeSettings withUpstreamTls(UpstreamTls tls) {
    return new EdgeSettings(httpsPort, tlsSecret, plainHttp, xffTrustedHops, limits, webhookClientLimit, tls);
  }

  public EdgeSettings withWebhookClientLimit(ClientLimit limit) {
    return new EdgeSettings(httpsPort, tlsSecret, plainHttp, xffTrustedHops, limits, limit, upstreamTls);
  }

  public EdgeSettings withPlainHttp(PlainHttp plain) {
    return new EdgeSettings(httpsPort, tlsSecret, plain, xffTrustedHops, limits, webhookClientLimit, upstreamTls);
  }
}
