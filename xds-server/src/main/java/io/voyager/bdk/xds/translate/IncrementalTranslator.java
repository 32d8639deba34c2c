package io.voyager.bdk.xds.translate;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.voyager.bdk.xds.ir.BackendIr;
import io.voyager.bdk.xds.ir.BookTranslation;
import io.voyager.bdk.xds.ir.BookTranslator;
import io.voyager.bdk.xds.ir.GatewayIr;
import io.voyager.bdk.xds.ir.GatewayIrBuilder;
import io.voyager.bdk.xds.model.BookSource;
import io.voyager.bdk.xds.model.EndpointSliceView;
import io.voyager.bdk.xds.model.GatewayInput;
import io.voyager.bdk.xds.ir.WebhookRouteIr;
import io.voyager.bdk.xds.model.ServiceRef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@link GatewayTranslator} with memory: a book whose spec did not change reuses its translation
 * and its Envoy routes, a Service port reuses its cluster, and its load assignment while its slices
 * do not change (the identical message objects, so content versions cached by identity hold), so an event for
 * one book among 10,000 re-translates one book. Caches hold only what the last input used, so
 * memory follows the input. Not thread-safe: one rebuild at a time (the watcher's single thread).
 */
public final class IncrementalTranslator {
  private final XdsTranslator xds;
  private Map<String, CachedBook> books = new HashMap<>();
  /**
   * By route IR identity: an unchanged book keeps its IR objects (its cached translation), so a
   * lookup costs an identity hash, not a deep hash of the route; a changed book's new objects miss
   * and are built afresh, which gives equal resources.
   */
  private Map<WebhookRouteIr, List<Route>> routes = new IdentityHashMap<>();
  private Map<WebhookRouteIr, WebhookScopes.Scope> scopes = new IdentityHashMap<>();
  private Map<BackendKey, CachedBackend> backends = new HashMap<>();
  private int lastTranslatedBooks;

  public IncrementalTranslator(XdsTranslator xds) {
    this.xds = xds;
  }

  /** {@code sortKey}: namespace/name, the order of the per-book results, built once per translation of the book. */
  private record CachedBook(BookSource source, BookTranslation translation, String sortKey) {
    CachedBook(BookSource source, BookTranslation translation) {
      this(source, translation, translation.namespace() + "/" + translation.name());
    }
  }

  private record BackendKey(ServiceRef service, boolean http2, io.voyager.bdk.xds.ir.UpstreamTlsIr tls) {}

  /**
   * A Service port's backend and its Envoy cluster and load assignment. The cluster depends only
   * on the key (its name derives from the Service), so it survives endpoint changes.
   */
  private record CachedBackend(
      List<EndpointSliceView> slices, BackendIr backend, Cluster cluster, ClusterLoadAssignment cla) {}

  public Translation translate(GatewayInput input) {
    Map<String, CachedBook> nextBooks = new HashMap<>(input.books().size() * 2);
    List<Map.Entry<String, BookTranslation>> results = new ArrayList<>(input.books().size());
    List<BookTranslation.Accepted> accepted = new ArrayList<>();
    int translated = 0;
    for (BookSource book : input.books()) {
      CachedBook cached = books.get(book.key());
      if (cached == null || !Objects.equals(cached.source(), book)) {
        BookTranslation fresh = BookTranslator.translate(book);
        cached = new CachedBook(book, cached == null ? fresh : withPreviousRoutes(fresh, cached.translation()));
        translated++;
      }
      nextBooks.put(book.key(), cached);
      // A held-out book keeps its cached translation (it comes back unchanged when released) but
      // contributes nothing.
      String heldOut = input.heldOutReason(book);
      BookTranslation t = heldOut != null
          ? new BookTranslation.HeldOut(book.namespace(), book.name(), heldOut)
          : cached.translation();
      results.add(Map.entry(cached.sortKey(), t));
      if (t instanceof BookTranslation.Accepted a) {
        accepted.add(a);
      }
    }
    books = nextBooks;
    lastTranslatedBooks = translated;
    results.sort(Map.Entry.comparingByKey());

    Map<BackendKey, CachedBackend> nextBackends = new HashMap<>();
    GatewayIr ir =
        GatewayIrBuilder.build(
            input.settings(),
            input.jwks(),
            input.edgeCertificate(),
            accepted,
            (service, http2, tls) -> {
              BackendKey key = new BackendKey(service, http2, tls);
              List<EndpointSliceView> slices = input.slicesOf(service.key());
              CachedBackend cached = backends.get(key);
              if (cached == null || !cached.slices().equals(slices)) {
                BackendIr backend = GatewayIrBuilder.backend(service, http2, tls, slices);
                Cluster cluster = cached != null ? cached.cluster() : XdsTranslator.cluster(backend);
                cached = new CachedBackend(slices, backend, cluster, XdsTranslator.loadAssignment(backend));
              }
              nextBackends.put(key, cached);
              return cached.backend();
            });
    Map<BackendIr, CachedBackend> byBackend = new IdentityHashMap<>(nextBackends.size() * 2);
    nextBackends.values().forEach(c -> byBackend.put(c.backend(), c));
    backends = nextBackends;

    Map<WebhookRouteIr, List<Route>> nextRoutes = new IdentityHashMap<>(ir.webhookRoutes().size() * 2);
    Map<WebhookRouteIr, WebhookScopes.Scope> nextScopes = new IdentityHashMap<>(ir.webhookRoutes().size() * 2);
    java.util.function.Function<WebhookRouteIr, List<Route>> routesOf = route -> {
      List<Route> built = routes.get(route);
      if (built == null) {
        built = xds.webhookRoutes(route);
      }
      nextRoutes.put(route, built);
      return built;
    };
    XdsResources resources =
        xds.translate(
            ir,
            routesOf,
            route -> {
              // The identical scope objects while the route is unchanged: their content versions stay cached.
              WebhookScopes.Scope scope = scopes.get(route);
              if (scope == null) {
                scope = xds.webhookScope(route, routesOf.apply(route));
              }
              nextScopes.put(route, scope);
              return scope;
            },
            backend -> {
              CachedBackend cached = byBackend.get(backend);
              return cached != null ? cached.cluster() : XdsTranslator.cluster(backend);
            },
            backend -> {
              CachedBackend cached = byBackend.get(backend);
              return cached != null ? cached.cla() : XdsTranslator.loadAssignment(backend);
            });
    routes = nextRoutes;
    scopes = nextScopes;
    return new Translation(resources, results.stream().map(Map.Entry::getValue).toList());
  }

  /**
   * {@code fresh} with each route that equals one of the book's {@code previous} routes replaced by
   * that identical object, so the route caches (keyed by identity) still find the routes a changed
   * book kept (e.g. when it gains an integration). Costs the book's own routes, squared: a handful.
   */
  private static BookTranslation withPreviousRoutes(BookTranslation fresh, BookTranslation previous) {
    if (!(fresh instanceof BookTranslation.Accepted a) || !(previous instanceof BookTranslation.Accepted p)) {
      return fresh;
    }
    List<WebhookRouteIr> routes = new ArrayList<>(a.routes().size());
    boolean reused = false;
    for (WebhookRouteIr route : a.routes()) {
      WebhookRouteIr same = route;
      for (WebhookRouteIr old : p.routes()) {
        if (old.equals(route)) {
          same = old;
          reused = true;
          break;
        }
      }
      routes.add(same);
    }
    return reused ? new BookTranslation.Accepted(a.namespace(), a.name(), a.backend(), routes) : fresh;
  }

  /** How many books the last {@link #translate} actually re-translated (the rest came from cache). */
  public int lastTranslatedBooks() {
    return lastTranslatedBooks;
  }
}
