package io.voyager.bdk.xds.ir;

import io.voyager.bdk.support.auth.JwtSettings;
import io.voyager.bdk.xds.model.EdgeCertificate;
import io.voyager.bdk.xds.model.EdgeSettings;
import io.voyager.bdk.xds.model.EndpointSliceView;
import io.voyager.bdk.xds.model.FixedEndpoint;
import io.voyager.bdk.xds.model.GatewaySettings;
import io.voyager.bdk.xds.model.IpLiterals;
import io.voyager.bdk.xds.model.JwksDocument;
import io.voyager.bdk.xds.model.QueuedDeliverySettings;
import io.voyager.bdk.xds.model.ServiceKey;
import io.voyager.bdk.xds.model.ServiceRef;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Assembles the gateway IR from settings, accepted books and endpoint lookups. Pure given pure
 * lookups; callers may pass a caching {@code backendResolver}.
 */
public final class GatewayIrBuilder {
  private GatewayIrBuilder() {}

  /** Backend IR of a Service port, with its endpoints resolved from its slices; {@code tls} null: plaintext. */
  public static BackendIr backend(ServiceRef service, boolean http2, UpstreamTlsIr tls, List<EndpointSliceView> slices) {
    return new BackendIr(BackendIr.clusterName(service), service, http2, EndpointResolver.resolve(service.port(), slices), tls);
  }

  public static GatewayIr build(
      GatewaySettings settings,
      JwksDocument jwks,
      Collection<BookTranslation.Accepted> books,
      Function<ServiceKey, List<EndpointSliceView>> slices) {
    return build(settings, jwks, EdgeCertificate.NOT_READ, books, slices);
  }

  public static GatewayIr build(
      GatewaySettings settings,
      JwksDocument jwks,
      EdgeCertificate certificate,
      Collection<BookTranslation.Accepted> books,
      Function<ServiceKey, List<EndpointSliceView>> slices) {
    return build(settings, jwks, certificate, books, (service, http2, tls) -> backend(service, http2, tls, slices.apply(service.key())));
  }

  /** SDS name of the HTTPS listener's certificate. */
  public static final String EDGE_SECRET_NAME = "bdk-edge-tls";

  /**
   * The public side: listeners on the settings' address and ports; HTTPS served with the
   * certificate when it is usable, withheld (saying why) when not, off without a TLS Secret.
   */
  public static EdgeIr edge(GatewaySettings settings, EdgeCertificate certificate) {
    EdgeSettings edge = settings.edge();
    EdgeIr.Tls tls;
    if (edge.tlsSecret() == null) {
      tls = new EdgeIr.Off();
    } else if (certificate instanceof EdgeCertificate.Usable usable) {
      tls = new EdgeIr.Serving(EDGE_SECRET_NAME, usable.certificateChainPem(), usable.privateKeyPem());
    } else {
      EdgeCertificate.Unavailable unavailable = (EdgeCertificate.Unavailable) certificate;
      EdgeCertificate.Usable previous = unavailable.previous();
      tls = new EdgeIr.Withheld(unavailable.reason(), previous == null ? null
          : new EdgeIr.Serving(EDGE_SECRET_NAME, previous.certificateChainPem(), previous.privateKeyPem()));
    }
    return new EdgeIr(settings.listenerAddress(), settings.listenerPort(), edge.httpsPort(), edge.plainHttp(), tls,
        edge.xffTrustedHops(), edge.limits(), edge.webhookClientLimit());
  }

  /** The TLS Envoy speaks to one of our services, or null when upstream TLS is off. */
  public static UpstreamTlsIr upstreamTls(GatewaySettings settings, ServiceRef service) {
    if (settings.edge().upstreamTls() instanceof EdgeSettings.MutualTlsUpstreams mtls) {
      return new UpstreamTlsIr(service.name() + "." + service.namespace() + ".svc", mtls.clientSdsPath(), mtls.caSdsPath());
    }
    return null;
  }

  /**
   * The library routes' token rule: issuer, audiences and skew from the settings; keys fetched by
   * Envoy from a JWKS URI, or inlined from the document read from Kubernetes, or — when that
   * document has no usable key — none, and the library routes refuse every request.
   */
  public static AuthIr auth(GatewaySettings settings, JwksDocument document) {
    JwtSettings jwt = settings.jwt();
    AuthIr.Jwks jwks;
    if (jwt.jwks() instanceof JwtSettings.RemoteJwks remote) {
      String host = remote.uri().getHost();
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      boolean tls = "https".equals(remote.uri().getScheme());
      int port = remote.uri().getPort() > 0 ? remote.uri().getPort() : tls ? 443 : 80;
      jwks = new AuthIr.Remote(remote.uri().toString(), remote.cacheDuration(),
          new AuthIr.JwksCluster(AuthIr.JwksCluster.name(host, port), host, port, IpLiterals.isIpLiteral(host), tls,
              settings.jwksTrustedCa()));
    } else if (document instanceof JwksDocument.Keys keys) {
      jwks = new AuthIr.Inline(keys.json());
    } else {
      jwks = new AuthIr.Unavailable(((JwksDocument.Unavailable) document).reason());
    }
    return new AuthIr(jwt.issuer(), jwt.audiences(), jwt.clockSkew().toSeconds(), jwks);
  }

  /** Resolves a Service port into a backend (endpoints included) spoken to with {@code tls} (null: plaintext). */
  @FunctionalInterface
  public interface BackendResolver {
    BackendIr resolve(ServiceRef service, boolean http2, UpstreamTlsIr tls);
  }

  /**
   * A gRPC backend of the gateway: its fixed endpoint if one is set, else its Service's endpoints;
   * with the upstream TLS of the settings.
   */
  private static BackendIr sharedBackend(GatewaySettings settings, ServiceRef service, FixedEndpoint fixed,
      BackendResolver backends) {
    UpstreamTlsIr tls = upstreamTls(settings, service);
    return fixed == null ? backends.resolve(service, true, tls)
        : new BackendIr(BackendIr.clusterName(service), service, true, List.of(new HostPort(fixed.host(), fixed.port())), tls);
  }

  public static GatewayIr build(
      GatewaySettings settings, JwksDocument jwks, Collection<BookTranslation.Accepted> books, BackendResolver backends) {
    return build(settings, jwks, EdgeCertificate.NOT_READ, books, backends);
  }

  public static GatewayIr build(
      GatewaySettings settings, JwksDocument jwks, EdgeCertificate certificate, Collection<BookTranslation.Accepted> books,
      BackendResolver backends) {
    BackendIr relay = settings.queued() == null ? null : relayBackend(settings, backends);
    String relayCluster = relay == null ? null : relay.clusterName();
    List<WebhookRouteIr> routes = new ArrayList<>();
    TreeMap<String, ServiceRef> webhookServices = new TreeMap<>();
    for (BookTranslation.Accepted book : books) {
      if (book.routes().isEmpty()) {
        continue;
      }
      for (WebhookRouteIr route : book.routes()) {
        routes.add(route.withinGatewayLimit(settings.maxWebhookBodyBytes()).withRelay(relayCluster));
      }
      webhookServices.put(BackendIr.clusterName(book.backend()), book.backend());
    }
    routes.sort(Comparator.comparing(WebhookRouteIr::path));
    BackendIr library = sharedBackend(settings, settings.library(), settings.libraryEndpoint(), backends);
    BackendIr extAuthz = sharedBackend(settings, settings.extAuthz(), settings.extAuthzEndpoint(), backends);
    List<BackendIr> webhookBackends = new ArrayList<>();
    for (ServiceRef service : webhookServices.values()) {
      String name = BackendIr.clusterName(service);
      if (GatewayIr.ownCluster(name, library, extAuthz, relay)) {
        continue; // never re-declare a shared cluster with another protocol
      }
      webhookBackends.add(backends.resolve(service, false, null));
    }
    return new GatewayIr(
        settings.listenerAddress(),
        settings.listenerPort(),
        library,
        extAuthz,
        routes,
        webhookBackends,
        settings.maxWebhookBodyBytes(),
        settings.transcoder(),
        auth(settings, jwks),
        edge(settings, certificate),
        relay,
        internalListener(settings));
  }

  /**
   * The relay's accept port: HTTP/1.1, mutual TLS like our other services (its certificate names
   * {@code <service>.<namespace>.svc}); its fixed endpoint if one is set, else its Service's.
   */
  private static BackendIr relayBackend(GatewaySettings settings, BackendResolver backends) {
    QueuedDeliverySettings queued = settings.queued();
    UpstreamTlsIr tls = upstreamTls(settings, queued.relay());
    FixedEndpoint fixed = queued.relayEndpoint();
    return fixed == null ? backends.resolve(queued.relay(), false, tls)
        : new BackendIr(BackendIr.clusterName(queued.relay()), queued.relay(), false,
            List.of(new HostPort(fixed.host(), fixed.port())), tls);
  }

  /** The internal delivery listener, with Envoy's own internal certificate when upstream TLS is mutual. */
  public static InternalListenerIr internalListener(GatewaySettings settings) {
    QueuedDeliverySettings queued = settings.queued();
    if (queued == null) {
      return null;
    }
    UpstreamTlsIr tls = settings.edge().upstreamTls() instanceof EdgeSettings.MutualTlsUpstreams mtls
        ? new UpstreamTlsIr(null, mtls.clientSdsPath(), mtls.caSdsPath()) : null;
    return new InternalListenerIr(queued.internalAddress(), queued.internalPort(), queued.relayIdentity(), tls);
  }
}
