package io.voyager.bdk.xds.ir;

import io.voyager.bdk.support.auth.JwtSettings;
import io.voyager.bdk.xds.model.EndpointSliceView;
import io.voyager.bdk.xds.model.FixedEndpoint;
import io.voyager.bdk.xds.model.GatewaySettings;
import io.voyager.bdk.xds.model.IpLiterals;
import io.voyager.bdk.xds.model.JwksDocument;
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

  /** Backend IR of a Service port, with its endpoints resolved from its slices. */
  public static BackendIr backend(ServiceRef service, boolean http2, List<EndpointSliceView> slices) {
    return new BackendIr(BackendIr.clusterName(service), service, http2, EndpointResolver.resolve(service.port(), slices));
  }

  public static GatewayIr build(
      GatewaySettings settings,
      JwksDocument jwks,
      Collection<BookTranslation.Accepted> books,
      Function<ServiceKey, List<EndpointSliceView>> slices) {
    return build(settings, jwks, books, (service, http2) -> backend(service, http2, slices.apply(service.key())));
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

  /** Resolves a Service port into a backend (endpoints included). */
  @FunctionalInterface
  public interface BackendResolver {
    BackendIr resolve(ServiceRef service, boolean http2);
  }

  /** A gRPC backend of the gateway: its fixed endpoint if one is set, else its Service's endpoints. */
  private static BackendIr sharedBackend(ServiceRef service, FixedEndpoint fixed, BackendResolver backends) {
    if (fixed == null) {
      return backends.resolve(service, true);
    }
    return new BackendIr(BackendIr.clusterName(service), service, true, List.of(new HostPort(fixed.host(), fixed.port())));
  }

  public static GatewayIr build(
      GatewaySettings settings, JwksDocument jwks, Collection<BookTranslation.Accepted> books, BackendResolver backends) {
    List<WebhookRouteIr> routes = new ArrayList<>();
    TreeMap<String, ServiceRef> webhookServices = new TreeMap<>();
    for (BookTranslation.Accepted book : books) {
      if (book.routes().isEmpty()) {
        continue;
      }
      for (WebhookRouteIr route : book.routes()) {
        routes.add(route.withinGatewayLimit(settings.maxWebhookBodyBytes()));
      }
      webhookServices.put(BackendIr.clusterName(book.backend()), book.backend());
    }
    routes.sort(Comparator.comparing(WebhookRouteIr::path));
    BackendIr library = sharedBackend(settings.library(), settings.libraryEndpoint(), backends);
    BackendIr extAuthz = sharedBackend(settings.extAuthz(), settings.extAuthzEndpoint(), backends);
    List<BackendIr> webhookBackends = new ArrayList<>();
    for (ServiceRef service : webhookServices.values()) {
      String name = BackendIr.clusterName(service);
      if (name.equals(library.clusterName()) || name.equals(extAuthz.clusterName())) {
        continue; // never re-declare a shared cluster with another protocol
      }
      webhookBackends.add(backends.resolve(service, false));
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
        auth(settings, jwks));
  }
}
