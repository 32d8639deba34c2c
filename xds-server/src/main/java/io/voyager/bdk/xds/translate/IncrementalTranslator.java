package io.voyager.bdk.xds.translate;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.ScopedRouteConfiguration;
import io.voyager.bdk.xds.ir.BackendIr;
import io.voyager.bdk.xds.ir.BookTranslation;
import io.voyager.bdk.xds.ir.BookTranslator;
import io.voyager.bdk.xds.ir.GatewayIr;
import io.voyager.bdk.xds.ir.GatewayIrBuilder;
import io.voyager.bdk.xds.ir.UpstreamTlsIr;
import io.voyager.bdk.xds.ir.WebhookRouteIr;
import io.voyager.bdk.xds.model.BookSource;
import io.voyager.bdk.xds.model.EdgeCertificate;
import io.voyager.bdk.xds.model.EndpointSliceView;
import io.voyager.bdk.xds.model.GatewayInput;
import io.voyager.bdk.xds.model.GatewaySettings;
import io.voyager.bdk.xds.model.InputChanges;
import io.voyager.bdk.xds.model.JwksDocument;
import io.voyager.bdk.xds.model.KeyedSequence;
import io.voyager.bdk.xds.model.PersistentSortedMap;
import io.voyager.bdk.xds.model.ServiceKey;
import io.voyager.bdk.xds.model.ServiceRef;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * {@link GatewayTranslator} with memory. It keeps, across translations, each book's translation
 * and what it contributes (its webhook routes, in path order, and its Service's cluster), each
 * Service port's backend, cluster and load assignment, and each webhook's Envoy routes and scope,
 * so that a translation told which books and Services changed ({@link InputChanges}) visits only
 * those: no walk over every book, no re-sorting, no deep hash of every book's records. A global
 * change (settings, JWKS, edge certificate, or {@link InputChanges#EVERYTHING}) walks every book
 * again, still reusing the translation of each book whose spec is equal and the identical
 * messages of each unchanged route and backend (so content versions cached by identity hold).
 *
 * <p>The sorted routes, per-book results, (scoped layout) per-route route configurations and
 * scopes, and the webhook backends with their clusters and load assignments live in
 * {@link PersistentSortedMap}s updated by key: a changed book costs O(log n) per key it touches,
 * and an output list is a {@link KeyedSequence} over such a map (no copy), which the snapshot
 * tells apart from the previous one by the changed keys only. An output list of a type nothing
 * changed in is handed over as the previous one (the snapshot then skips that type by identity).
 * Still O(books) per translation in the single route layout only: rebuilding the one
 * RouteConfiguration (all webhook routes) when a route changed — inherent to that layout — and,
 * with queued delivery, the internal route configuration when a queued route changed.
 *
 * <p>Caches hold only what the last input used, so memory follows the input. Not thread-safe: one
 * translation at a time (the watcher's single thread). Pure in the sense that matters: the output
 * equals {@link GatewayTranslator}'s for the same input, provided the changes named are a superset
 * of the real ones.
 */
public final class IncrementalTranslator {
  private final XdsTranslator xds;

  /** By book key ({@code namespace/name}): the book's source, translation and contribution. */
  private final Map<String, CachedBook> books = new HashMap<>();
  /** The per-book results by {@code namespace/name}, in output order. */
  private final KeyedOutput<BookTranslation> results = new KeyedOutput<>();
  /** The webhook routes in output order (path, then book, then position). */
  private final KeyedOutput<WebhookRouteIr> routeOrder = new KeyedOutput<>();
  /** The queued ones of {@link #routeOrder}, by the same keys (the internal route configuration is made of them). */
  private final KeyedOutput<WebhookRouteIr> queuedOrder = new KeyedOutput<>();
  /**
   * Scoped layout: each webhook route's route configuration and scope, by the same keys as
   * {@link #routeOrder}: the middles of the route configuration and scope lists.
   */
  private final KeyedOutput<RouteConfiguration> scopeRoutes = new KeyedOutput<>();
  private final KeyedOutput<ScopedRouteConfiguration> scopeScopes = new KeyedOutput<>();
  /** The books' Services by cluster name, with how many books use each. */
  private final TreeMap<String, ServiceUse> webhookServices = new TreeMap<>();
  private final Map<ServiceKey, Set<String>> clustersOfService = new HashMap<>();
  /** Resolved webhook backends by cluster name (only those of {@link #webhookServices}). */
  private final KeyedOutput<CachedBackend> webhookBackends = new KeyedOutput<>();
  /** The backends, clusters and load assignments of {@link #webhookBackends}, by the same keys: the middles of the output lists. */
  private final KeyedOutput<BackendIr> backendOrder = new KeyedOutput<>();
  private final KeyedOutput<Cluster> clusterOrder = new KeyedOutput<>();
  private final KeyedOutput<ClusterLoadAssignment> loadAssignmentOrder = new KeyedOutput<>();
  /** How many webhook backends the last output's cluster and load assignment lists end with (before the JWKS cluster). */
  private int outputWebhookBackends;
  /** The shared backends (library, ext-authz, relay): few, re-resolved on every translation. */
  private Map<SharedKey, CachedBackend> sharedBackends = new HashMap<>();
  /**
   * By route IR identity: an unchanged book keeps its route objects, so a lookup costs an identity
   * hash, not a deep hash of the route.
   */
  private final Map<WebhookRouteIr, List<Route>> routes = new IdentityHashMap<>();
  private final Map<WebhookRouteIr, WebhookScopes.Scope> scopes = new IdentityHashMap<>();
  /** Every cached backend (webhook and shared) by identity, for the cluster and CLA lookups. */
  private final Map<BackendIr, CachedBackend> byBackend = new IdentityHashMap<>();
  /** The output lists, rebuilt only when an element changed (immutable: the IR takes them as they are). */
  private List<WebhookRouteIr> routeList = List.of();
  private List<BackendIr> backendList = List.of();
  private List<BookTranslation> resultList = List.of();

  // The global inputs of the previous translation; null before the first.
  private GatewaySettings settings;
  private JwksDocument jwks;
  private EdgeCertificate edgeCertificate;
  private Map<String, String> heldOut;
  private GatewayIr baseIr;
  /**
   * The listeners, the first route configuration (single layout: every route; scoped: the main
   * one) and the scoped layout's default scope of the last translation: reused while no global
   * input changed (and, single layout, no route), so they keep their identity for the snapshot.
   */
  private List<io.envoyproxy.envoy.config.listener.v3.Listener> listeners;
  private RouteConfiguration mainRoutes;
  private io.envoyproxy.envoy.config.route.v3.ScopedRouteConfiguration defaultScope;

  private int lastTranslatedBooks;
  private int lastVisitedBooks;

  public IncrementalTranslator(XdsTranslator xds) {
    this.xds = xds;
  }

  /** A book: its source, its translation (held out or not) and what it adds to the gateway. */
  private record CachedBook(BookSource source, BookTranslation translation, String sortKey,
      List<WebhookRouteIr> routes, String cluster) {}

  private static final class ServiceUse {
    final ServiceRef service;
    int books;

    ServiceUse(ServiceRef service) {
      this.service = service;
    }
  }

  private record SharedKey(ServiceRef service, boolean http2, UpstreamTlsIr tls) {}

  /**
   * A Service port's backend and its Envoy cluster and load assignment. The cluster depends only
   * on the Service port (its name derives from it), so it survives endpoint changes.
   */
  private record CachedBackend(List<EndpointSliceView> slices, BackendIr backend, Cluster cluster, ClusterLoadAssignment cla) {}

  /** Everything may have changed: walks every book (reusing what is equal). */
  public Translation translate(GatewayInput input) {
    return translate(input, InputChanges.EVERYTHING);
  }

  /**
   * Translates {@code input}, told that only {@code changes} differ from the previous input given
   * to this translator. Changes to the settings, JWKS, edge certificate and held-out set are also
   * noticed without being named.
   */
  public Translation translate(GatewayInput input, InputChanges changes) {
    boolean global = changes.global() || baseIr == null
        || !Objects.equals(settings, input.settings()) || !Objects.equals(jwks, input.jwks())
        || !Objects.equals(edgeCertificate, input.edgeCertificate());
    lastTranslatedBooks = 0;
    lastVisitedBooks = 0;
    boolean routesChanged;
    clustersChanged = true;
    endpointsChanged = true;
    if (global) {
      fullWalk(input);
      routesChanged = true;
      backendsChanged = true;
      resultsChanged = true;
    } else {
      backendsChanged = false;
      resultsChanged = false;
      clustersChanged = false;
      endpointsChanged = false;
      sharedChanged = false;
      routesChanged = changedWalk(input, changes);
      if (sharedChanged) { // the base IR was replaced: build every list again (rare: a shared Service's endpoints)
        clustersChanged = true;
        endpointsChanged = true;
      }
    }
    if (routesChanged) {
      routeList = KeyedSequence.of(routeOrder.map());
    }
    if (backendsChanged) {
      backendList = KeyedSequence.of(backendOrder.map());
    }
    if (resultsChanged) {
      resultList = KeyedSequence.of(results.map());
    }
    settings = input.settings();
    jwks = input.jwks();
    edgeCertificate = input.edgeCertificate();
    heldOut = input.heldOut();

    GatewayIr ir = new GatewayIr(baseIr.listenerAddress(), baseIr.listenerPort(), baseIr.library(), baseIr.extAuthz(),
        routeList, backendList, baseIr.maxWebhookBodyBytes(), baseIr.transcoder(), baseIr.auth(), baseIr.edge(),
        baseIr.relay(), baseIr.internal());

    XdsResources resources =
        xds.translate(
            ir,
            this::routesOf,
            // The identical scope objects while the route is unchanged: their content versions stay cached.
            this::scopeOf,
            backend -> cachedFor(backend) != null ? cachedFor(backend).cluster() : XdsTranslator.cluster(backend),
            backend -> cachedFor(backend) != null ? cachedFor(backend).cla() : XdsTranslator.loadAssignment(backend),
            global ? XdsTranslator.Reuse.NOTHING : reuse(routesChanged, ir));
    // Depend on global inputs only (and, in the single layout, the webhook routes): reused until they change.
    listeners = resources.listeners();
    mainRoutes = resources.routes().get(0);
    defaultScope = xds.layout() == RouteLayout.SCOPED ? resources.scopedRoutes().get(0) : null;
    output = resources;
    outputQueuedRoutes = queuedOrder.map();
    outputWebhookBackends = webhookBackends.map().size();
    return new Translation(resources, resultList);
  }

  /**
   * What a translation without a global change may take from the last one: the listeners, secrets
   * and main route configuration/default scope always; the whole route configuration and scope
   * lists while no webhook route (and no shared backend) changed; the cluster list while no
   * cluster object changed; the load assignment list while no backend changed. The snapshot then
   * finds an unchanged type by list identity, without a walk.
   */
  private XdsTranslator.Reuse reuse(boolean routesChanged, GatewayIr ir) {
    boolean single = xds.layout() == RouteLayout.SINGLE;
    List<RouteConfiguration> routeConfigurations = null;
    List<io.envoyproxy.envoy.config.route.v3.ScopedRouteConfiguration> scopeList = null;
    if (!routesChanged && !sharedChanged) {
      routeConfigurations = output.routes();
      scopeList = output.scopedRoutes();
    } else if (!single && !sharedChanged) {
      // As XdsTranslator lays them out: the main route configuration, one per webhook, the internal one
      // last — kept while the queued routes it is made of are the same objects, built again otherwise.
      List<RouteConfiguration> internal = List.of();
      if (baseIr.internal() != null) {
        internal = List.of(sameValues(outputQueuedRoutes, queuedOrder.map()) ? output.routes().get(output.routes().size() - 1)
            : InternalDeliveryRoutes.routeConfiguration(ir));
      }
      routeConfigurations = KeyedSequence.of(List.of(mainRoutes), scopeRoutes.map(), internal);
      scopeList = KeyedSequence.of(List.of(defaultScope), scopeScopes.map(), List.of());
    }
    return new XdsTranslator.Reuse(
        listeners,
        single && routesChanged ? null : mainRoutes,
        single ? null : defaultScope,
        routeConfigurations,
        scopeList,
        !clustersChanged ? output.clusters() : sharedChanged ? null : webhookListOf(output.clusters(), clusterOrder.map()),
        !endpointsChanged ? output.endpoints() : sharedChanged ? null : webhookListOf(output.endpoints(), loadAssignmentOrder.map()),
        output.secrets());
  }

  /**
   * {@code previous} (the last output's clusters or load assignments: the shared backends', the
   * webhook backends', then for clusters maybe the JWKS cluster) with its webhook part replaced by
   * the current webhook backends' ({@code webhook}) — as XdsTranslator lays them out; only while
   * no shared backend changed.
   */
  private static <T> List<T> webhookListOf(List<T> previous, int shared, int previousWebhook,
      PersistentSortedMap<T> webhook) {
    int tail = previous.size() - shared - previousWebhook;
    return KeyedSequence.of(List.copyOf(previous.subList(0, shared)), webhook,
        List.copyOf(previous.subList(previous.size() - tail, previous.size())));
  }

  private <T> List<T> webhookListOf(List<T> previous, PersistentSortedMap<T> webhook) {
    return webhookListOf(previous, output.endpoints().size() - outputWebhookBackends, outputWebhookBackends, webhook);
  }

  /** True if {@code a} and {@code b} hold the identical objects under the same keys. */
  private static <T> boolean sameValues(PersistentSortedMap<T> a, PersistentSortedMap<T> b) {
    boolean[] differ = {false};
    PersistentSortedMap.diff(a, b, (x, y) -> differ[0] = true);
    return !differ[0];
  }

  /** The queued routes of the last output (its internal route configuration is made of them). */
  private PersistentSortedMap<WebhookRouteIr> outputQueuedRoutes = PersistentSortedMap.empty();
  private boolean backendsChanged;
  private boolean resultsChanged;
  /** Since the last translation: a webhook cluster object added, replaced or removed. */
  private boolean clustersChanged;
  /** Since the last translation: a webhook backend (its load assignment) added, replaced or removed. */
  private boolean endpointsChanged;
  /** Since the last translation: a shared backend (library, ext-authz, relay) re-resolved. */
  private boolean sharedChanged;
  /** The last translation's resources (null before the first). */
  private XdsResources output;

  private CachedBackend cachedFor(BackendIr backend) {
    return byBackend.get(backend);
  }

  private void putBackend(String cluster, CachedBackend cached) {
    CachedBackend before = webhookBackends.map().get(cluster);
    if (before != cached) {
      setBackend(cluster, cached);
      backendsChanged = true;
      endpointsChanged = true;
      if (before == null || before.cluster() != cached.cluster()) {
        clustersChanged = true;
      }
      if (before != null) {
        byBackend.remove(before.backend());
      }
      byBackend.put(cached.backend(), cached);
    }
  }

  private void removeBackend(String cluster) {
    CachedBackend before = webhookBackends.map().get(cluster);
    if (before != null) {
      webhookBackends.remove(cluster);
      backendOrder.remove(cluster);
      clusterOrder.remove(cluster);
      loadAssignmentOrder.remove(cluster);
      backendsChanged = true;
      clustersChanged = true;
      endpointsChanged = true;
      byBackend.remove(before.backend());
    }
  }

  /** {@code cached} as cluster {@code cluster}'s backend, and its parts in the output maps. */
  private void setBackend(String cluster, CachedBackend cached) {
    webhookBackends.put(cluster, cached);
    backendOrder.put(cluster, cached.backend());
    clusterOrder.put(cluster, cached.cluster()); // kept if the identical object
    loadAssignmentOrder.put(cluster, cached.cla());
  }

  private void putShared(Map<SharedKey, CachedBackend> next, SharedKey key, CachedBackend cached) {
    next.put(key, cached);
    byBackend.put(cached.backend(), cached);
  }

  /** Every book again: the structures rebuilt from the input, equal translations and messages reused. */
  private void fullWalk(GatewayInput input) {
    Map<SharedKey, CachedBackend> nextShared = new HashMap<>();
    baseIr = GatewayIrBuilder.build(input.settings(), input.jwks(), input.edgeCertificate(), List.of(),
        (service, http2, tls) -> {
          SharedKey key = new SharedKey(service, http2, tls);
          CachedBackend cached = resolve(sharedBackends.get(key), service, http2, tls, input.slicesOf(service.key()));
          putShared(nextShared, key, cached);
          return cached.backend();
        });
    sharedBackends = nextShared;
    Map<String, CachedBook> previous = new HashMap<>(books);
    books.clear();
    List<KeyedOutput<?>> bookOutputs = List.of(results, routeOrder, queuedOrder, scopeRoutes, scopeScopes);
    bookOutputs.forEach(KeyedOutput::beginBulk);
    webhookServices.clear();
    clustersOfService.clear();
    for (BookSource book : input.books()) {
      add(book, previous.get(book.key()), input);
    }
    bookOutputs.forEach(KeyedOutput::endBulk);
    PersistentSortedMap<CachedBackend> previousBackends = webhookBackends.map();
    List<KeyedOutput<?>> backendOutputs = List.of(webhookBackends, backendOrder, clusterOrder, loadAssignmentOrder);
    backendOutputs.forEach(KeyedOutput::beginBulk);
    for (Map.Entry<String, ServiceUse> e : webhookServices.entrySet()) {
      ServiceRef service = e.getValue().service;
      setBackend(e.getKey(),
          resolve(previousBackends.get(e.getKey()), service, false, null, input.slicesOf(service.key())));
    }
    backendOutputs.forEach(KeyedOutput::endBulk);
    byBackend.clear();
    webhookBackends.map().values().forEach(b -> byBackend.put(b.backend(), b));
    sharedBackends.values().forEach(b -> byBackend.put(b.backend(), b));
    Set<WebhookRouteIr> live = Collections.newSetFromMap(new IdentityHashMap<>());
    live.addAll(routeOrder.map().values());
    routes.keySet().retainAll(live);
    scopes.keySet().retainAll(live);
  }

  /**
   * Only the named books and Services (and the books whose held-out state changed). Returns
   * whether any webhook route was added or removed.
   */
  private boolean changedWalk(GatewayInput input, InputChanges changes) {
    // The shared backends: few, so always looked at (their slices compare by identity first).
    Map<SharedKey, CachedBackend> nextShared = new HashMap<>();
    boolean[] sharedChanged = {false};
    GatewayIr base = GatewayIrBuilder.build(input.settings(), input.jwks(), input.edgeCertificate(), List.of(),
        (service, http2, tls) -> {
          SharedKey key = new SharedKey(service, http2, tls);
          CachedBackend before = sharedBackends.get(key);
          CachedBackend cached = resolve(before, service, http2, tls, input.slicesOf(service.key()));
          sharedChanged[0] |= cached != before;
          if (before != null && before != cached) { // shared backends are never webhook ones (resolved apart)
            byBackend.remove(before.backend());
          }
          putShared(nextShared, key, cached);
          return cached.backend();
        });
    sharedBackends = nextShared;
    if (sharedChanged[0]) {
      baseIr = base;
      this.sharedChanged = true;
    }

    Set<String> bookKeys = new HashSet<>(changes.books());
    if (!input.heldOut().equals(heldOut)) {
      for (String key : input.heldOut().keySet()) {
        if (!Objects.equals(input.heldOut().get(key), heldOut.get(key))) {
          bookKeys.add(key);
        }
      }
      for (String key : heldOut.keySet()) {
        if (!input.heldOut().containsKey(key)) {
          bookKeys.add(key);
        }
      }
    }
    Set<String> dirtyClusters = new TreeSet<>();
    boolean routesChanged = false;
    if (!bookKeys.isEmpty()) {
      Map<String, BookSource> sources = sourcesOf(input, bookKeys);
      for (String key : bookKeys) {
        CachedBook old = books.remove(key);
        resultsChanged = true;
        if (old != null) {
          remove(old);
          if (old.cluster() != null) {
            dirtyClusters.add(old.cluster());
          }
        }
        BookSource source = sources.get(key);
        CachedBook now = source == null ? null : add(source, old, input);
        if (now != null && now.cluster() != null) {
          dirtyClusters.add(now.cluster());
        }
        List<WebhookRouteIr> before = old == null ? List.of() : old.routes();
        List<WebhookRouteIr> after = now == null ? List.of() : now.routes();
        if (!sameObjects(before, after)) {
          routesChanged = true;
          Set<WebhookRouteIr> kept = Collections.newSetFromMap(new IdentityHashMap<>());
          kept.addAll(after);
          for (WebhookRouteIr route : before) {
            if (!kept.contains(route)) {
              routes.remove(route);
              scopes.remove(route);
            }
          }
        }
      }
    }
    for (ServiceKey service : changes.services()) {
      Set<String> clusters = clustersOfService.get(service);
      if (clusters != null) {
        dirtyClusters.addAll(clusters);
      }
    }
    for (String cluster : dirtyClusters) {
      ServiceUse use = webhookServices.get(cluster);
      if (use == null) {
        removeBackend(cluster);
      } else {
        putBackend(cluster,
            resolve(webhookBackends.map().get(cluster), use.service, false, null, input.slicesOf(use.service.key())));
      }
    }
    return routesChanged;
  }

  /** The input's sources of {@code keys} (absent: removed), each found by its key. */
  private static Map<String, BookSource> sourcesOf(GatewayInput input, Set<String> keys) {
    Map<String, BookSource> found = new HashMap<>();
    for (String key : keys) {
      BookSource book = input.book(key);
      if (book != null) {
        found.put(key, book);
      }
    }
    return found;
  }

  private static boolean sameObjects(List<WebhookRouteIr> a, List<WebhookRouteIr> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (a.get(i) != b.get(i)) {
        return false;
      }
    }
    return true;
  }

  /** {@code book} into the structures, reusing {@code previous}'s translation and routes when equal. */
  private CachedBook add(BookSource book, CachedBook previous, GatewayInput input) {
    lastVisitedBooks++;
    String key = book.key();
    BookTranslation translation;
    if (previous != null && (previous.source() == book || previous.source().equals(book))) {
      translation = previous.translation();
    } else {
      BookTranslation fresh = BookTranslator.translate(book);
      translation = previous == null ? fresh : withPreviousRoutes(fresh, previous.translation());
      lastTranslatedBooks++;
    }
    String sortKey = previous != null ? previous.sortKey() : book.namespace() + "/" + book.name();
    // A held-out book keeps its translation (it comes back unchanged when released) but
    // contributes nothing.
    String heldOutReason = input.heldOutReason(book);
    BookTranslation shown = heldOutReason != null
        ? new BookTranslation.HeldOut(book.namespace(), book.name(), heldOutReason) : translation;
    results.put(sortKey, shown);
    List<WebhookRouteIr> contributed = List.of();
    String cluster = null;
    if (shown instanceof BookTranslation.Accepted a && !a.routes().isEmpty()) {
      List<WebhookRouteIr> previousRoutes = previous == null ? List.of() : previous.routes();
      String relay = baseIr.relay() == null ? null : baseIr.relay().clusterName();
      List<WebhookRouteIr> effective = new ArrayList<>(a.routes().size());
      for (int i = 0; i < a.routes().size(); i++) {
        WebhookRouteIr route = a.routes().get(i).withinGatewayLimit(input.settings().maxWebhookBodyBytes()).withRelay(relay);
        for (WebhookRouteIr old : previousRoutes) {
          if (old == route || old.equals(route)) { // the identical object: its Envoy routes stay cached
            route = old;
            break;
          }
        }
        effective.add(route);
        String order = orderKey(route, key, i);
        routeOrder.put(order, route);
        if (route.queued() != null) {
          queuedOrder.put(order, route);
        }
        if (xds.layout() == RouteLayout.SCOPED) {
          WebhookScopes.Scope scope = scopeOf(route);
          scopeRoutes.put(order, scope.routes());
          scopeScopes.put(order, scope.scope());
        }
      }
      contributed = List.copyOf(effective);
      String name = BackendIr.clusterName(a.backend());
      if (!baseIr.ownCluster(name)) {
        cluster = name; // never re-declare a shared cluster with another protocol
        webhookServices.computeIfAbsent(name, n -> new ServiceUse(a.backend())).books++;
        clustersOfService.computeIfAbsent(a.backend().key(), s -> new HashSet<>()).add(name);
      }
    }
    CachedBook cached = new CachedBook(book, translation, sortKey, contributed, cluster);
    books.put(key, cached);
    return cached;
  }

  /** Takes {@code book}'s contribution out of the structures. */
  private void remove(CachedBook book) {
    results.remove(book.sortKey());
    for (int i = 0; i < book.routes().size(); i++) {
      String order = orderKey(book.routes().get(i), book.source().key(), i);
      routeOrder.remove(order);
      queuedOrder.remove(order);
      scopeRoutes.remove(order);
      scopeScopes.remove(order);
    }
    if (book.cluster() != null) {
      ServiceUse use = webhookServices.get(book.cluster());
      if (use != null && --use.books == 0) {
        webhookServices.remove(book.cluster());
        Set<String> clusters = clustersOfService.get(use.service.key());
        if (clusters != null) {
          clusters.remove(book.cluster());
          if (clusters.isEmpty()) {
            clustersOfService.remove(use.service.key());
          }
        }
      }
    }
  }

  /** The route's Envoy routes (cached by route identity). */
  private List<Route> routesOf(WebhookRouteIr route) {
    return routes.computeIfAbsent(route, xds::webhookRoutes);
  }

  /** The route's scope (scoped layout; cached by route identity, so its messages keep their content versions). */
  private WebhookScopes.Scope scopeOf(WebhookRouteIr route) {
    return scopes.computeIfAbsent(route, r -> xds.webhookScope(r, routesOf(r)));
  }

  /** Path order, as {@link GatewayIrBuilder} sorts (paths are unique per book and integration). */
  private static String orderKey(WebhookRouteIr route, String bookKey, int index) {
    return route.path() + '\u0000' + bookKey + '\u0000' + index;
  }

  /** {@code cached} while its Service and slices are the same, else a freshly resolved backend. */
  private static CachedBackend resolve(CachedBackend cached, ServiceRef service, boolean http2, UpstreamTlsIr tls,
      List<EndpointSliceView> slices) {
    if (cached != null && cached.backend().http2() == http2 && Objects.equals(cached.backend().tls(), tls)
        && cached.backend().service().equals(service) && cached.slices().equals(slices)) {
      return cached;
    }
    BackendIr backend = GatewayIrBuilder.backend(service, http2, tls, slices);
    Cluster cluster = cached != null && cached.backend().service().equals(service) && cached.backend().http2() == http2
        && Objects.equals(cached.backend().tls(), tls) ? cached.cluster() : XdsTranslator.cluster(backend);
    return new CachedBackend(slices, backend, cluster, XdsTranslator.loadAssignment(backend));
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

  /** How many books the last {@link #translate} looked at (all of them after a global change). */
  public int lastVisitedBooks() {
    return lastVisitedBooks;
  }
}
