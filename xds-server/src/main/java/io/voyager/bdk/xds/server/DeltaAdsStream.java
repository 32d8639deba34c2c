package io.voyager.bdk.xds.server;

import com.google.protobuf.Any;
import io.envoyproxy.controlplane.cache.VersionedResource;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.controlplane.server.exception.RequestException;
import io.envoyproxy.envoy.config.route.v3.ScopedRouteConfiguration;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.voyager.bdk.xds.version.ContentVersionedSnapshot;
import io.voyager.bdk.xds.version.XdsType;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Envoy's delta ADS stream ({@code DeltaAggregatedResources}): runs the discovery callbacks on
 * every request and response (the node identity check, the sync tracker with its NACK write-back),
 * keeps a {@link DeltaSubscription} per resource type and sends what a request or a new snapshot
 * changes. Requests and snapshots are handled under this stream's lock, so responses leave in
 * order and gRPC's observer is never called concurrently.
 *
 * <p>A new snapshot goes out make-before-break: first what is added or updated, secrets, clusters,
 * endpoints, listeners, then route configurations (so a route's cluster exists before the route),
 * then route scopes (so a scope's route configuration is there when Envoy asks for it); then what
 * is removed, route scopes and route configurations first and clusters after them (so no route is
 * left pointing at a removed cluster). A route scope whose route configuration this Envoy never
 * loaded is removed {@link #SCOPE_REMOVAL_GRACE} later ({@link #placeholdAndHoldBackScopeRemovals}).
 *
 * <p>With {@code --held-books-limit} its subscriptions see the snapshot through {@link HeldBooksView}
 * and {@link HeldBooksBound} evicts and reloads books on this stream; without it (the default)
 * nothing of that runs.
 */
final class DeltaAdsStream implements StreamObserver<DeltaDiscoveryRequest> {
  private static final Logger log = LoggerFactory.getLogger(DeltaAdsStream.class);

  static final List<XdsType> UPSERT_ORDER = List.of(
      XdsType.SECRET, XdsType.CLUSTER, XdsType.ENDPOINT, XdsType.LISTENER, XdsType.ROUTE, XdsType.SCOPED_ROUTE);
  static final List<XdsType> REMOVAL_ORDER = List.of(
      XdsType.SCOPED_ROUTE, XdsType.ROUTE, XdsType.LISTENER, XdsType.CLUSTER, XdsType.ENDPOINT, XdsType.SECRET);
  /**
   * How long a removed route scope whose route configuration Envoy never loaded stays in Envoy
   * ({@link #placeholdAndHoldBackScopeRemovals}): long against one round trip of Envoy's on-demand
   * fetch, short against anything a user waits for (the scope's path answers 404 meanwhile).
   */
  static final Duration SCOPE_REMOVAL_GRACE = Duration.ofSeconds(2);

  /** Runs a task once, after a delay, on a thread of its own (the stream takes its lock in it). */
  @FunctionalInterface
  interface DelayedTasks {
    void schedule(Runnable task, Duration delay);
  }

  /** Type URLs a stream asked for that are not served, logged once each. */
  private static final Set<String> UNKNOWN_TYPES_LOGGED = ConcurrentHashMap.newKeySet();

  private final long id;
  private final StreamObserver<DeltaDiscoveryResponse> responses;
  private final List<DiscoveryServerCallbacks> callbacks;
  private final Supplier<ContentVersionedSnapshot> current;
  private final Runnable onClosed;
  private final DelayedTasks delayedTasks;
  private final Map<XdsType, DeltaSubscription> subscriptions = new EnumMap<>(XdsType.class);
  /** The held-books bound on this stream; null when off. */
  private final HeldBooksBound bound;
  private long nonce;
  private boolean closed;

  /**
   * {@code current} gives the snapshot served now (null before the first); {@code onClosed} runs
   * once when the stream ends, however it ends; {@code delayedTasks} runs the late removal of
   * route scopes.
   */
  DeltaAdsStream(long id, StreamObserver<DeltaDiscoveryResponse> responses, List<DiscoveryServerCallbacks> callbacks,
      Supplier<ContentVersionedSnapshot> current, Runnable onClosed, DelayedTasks delayedTasks) {
    this(id, responses, callbacks, current, onClosed, delayedTasks, HeldBooksLimit.OFF, null);
  }

  /**
   * As above, with the held-books bound {@code limit} ({@link HeldBooksLimit#OFF}: none), each
   * snapshot's book scopes from {@code bookScopes} (shared by the streams; unused when off).
   */
  DeltaAdsStream(long id, StreamObserver<DeltaDiscoveryResponse> responses, List<DiscoveryServerCallbacks> callbacks,
      Supplier<ContentVersionedSnapshot> current, Runnable onClosed, DelayedTasks delayedTasks, HeldBooksLimit limit,
      BookScopesIndex bookScopes) {
    this.id = id;
    this.responses = responses;
    this.callbacks = callbacks;
    this.current = current;
    this.onClosed = onClosed;
    this.delayedTasks = delayedTasks;
    this.bound = limit.books() == 0 ? null : new HeldBooksBound(id, limit, bookScopes, subscriptions,
        (type, update) -> send(type, update, DeltaDiscoveryRequest.getDefaultInstance()));
  }

  /** Books loaded or loading on this Envoy under the held-books bound (0 when off). */
  synchronized int heldBooks() {
    return bound == null ? 0 : bound.heldCount();
  }

  private DeltaSubscription newSubscription(XdsType type) {
    if (bound == null) {
      return new DeltaSubscription(type, AbsentResourcePlaceholders.forType(type));
    }
    return new DeltaSubscription(type, AbsentResourcePlaceholders.forType(type),
        snapshot -> HeldBooksView.of(SnapshotChanges.resources(snapshot, type), type, bound.held()));
  }

  long id() {
    return id;
  }

  /** Runs the stream-open callbacks; false (and the stream closed with their status) if one refused it. */
  boolean open() {
    try {
      for (DiscoveryServerCallbacks callback : callbacks) {
        callback.onStreamOpen(id, "");
      }
      return true;
    } catch (RequestException e) {
      closeWithError(e);
      return false;
    }
  }

  @Override
  public void onNext(DeltaDiscoveryRequest request) {
    if (request.getTypeUrl().isEmpty()) {
      closeWithError(Status.INVALID_ARGUMENT.withDescription("type_url: required on an aggregated (ADS) stream").asRuntimeException());
      return;
    }
    try {
      // Outside the lock: a callback may take the publisher's (to register Envoy's node group).
      for (DiscoveryServerCallbacks callback : callbacks) {
        callback.onV3StreamDeltaRequest(id, request);
      }
    } catch (RequestException e) {
      closeWithError(e);
      return;
    }
    XdsType type = XdsType.ofTypeUrl(request.getTypeUrl());
    if (type == null) {
      if (UNKNOWN_TYPES_LOGGED.size() < 64 && UNKNOWN_TYPES_LOGGED.add(request.getTypeUrl())) {
        log.warn("event=delta_type_not_served stream={} type_url=\"{}\"", id, request.getTypeUrl().replace('"', '\''));
      }
      return;
    }
    synchronized (this) {
      if (closed) {
        return;
      }
      DeltaSubscription subscription = subscriptions.computeIfAbsent(type, this::newSubscription);
      ContentVersionedSnapshot now = current.get();
      if (bound != null) {
        bound.beforeRequest(type, request, now);
      }
      subscription.onRequest(request, now).ifPresent(update -> send(type, update, request));
      if (bound != null) {
        bound.afterRequest(type, request, now);
      }
    }
  }

  /** A new snapshot: sends what it changes for this stream's subscriptions, make-before-break. */
  synchronized void published(ContentVersionedSnapshot previous, ContentVersionedSnapshot next, SnapshotChanges changes) {
    if (closed) {
      return;
    }
    Map<XdsType, DeltaSubscription.Update> updates = new EnumMap<>(XdsType.class);
    subscriptions.forEach((type, subscription) ->
        subscription.onSnapshot(previous, next, changes).ifPresent(update -> updates.put(type, update)));
    List<String> lateScopeRemovals = placeholdAndHoldBackScopeRemovals(previous, next, updates);
    if (bound != null) {
      bound.indexTo(next); // after the placeholders: they name a removed scope's route configuration as this Envoy has it
    }
    DeltaDiscoveryRequest none = DeltaDiscoveryRequest.getDefaultInstance();
    for (XdsType type : UPSERT_ORDER) {
      DeltaSubscription.Update update = updates.get(type);
      if (update != null && (!update.upserts().isEmpty() || update.removals().isEmpty())) {
        send(type, new DeltaSubscription.Update(update.upserts(), List.of(), update.version()), none);
      }
    }
    for (XdsType type : REMOVAL_ORDER) {
      DeltaSubscription.Update update = updates.get(type);
      if (update != null && !update.removals().isEmpty()) {
        send(type, new DeltaSubscription.Update(Map.of(), update.removals(), update.version()), none);
      }
    }
    if (!lateScopeRemovals.isEmpty()) {
      delayedTasks.schedule(() -> {
        try {
          removeScopesLate(lateScopeRemovals);
        } catch (RuntimeException e) {
          log.warn("event=delta_late_scope_removal_failed stream={} error=\"{}\"", id, String.valueOf(e).replace('"', '\''));
        }
      }, SCOPE_REMOVAL_GRACE);
    }
  }

  /**
   * The removal of route scopes held back by {@link #placeholdAndHoldBackScopeRemovals}: each that
   * the snapshot served now still lacks and that was not sent again meanwhile (a book added back).
   */
  private synchronized void removeScopesLate(List<String> scopes) {
    ContentVersionedSnapshot now = current.get();
    DeltaSubscription subscription = subscriptions.get(XdsType.SCOPED_ROUTE);
    if (closed || now == null || subscription == null) {
      return;
    }
    Map<String, VersionedResource<?>> served = now.resources(XdsType.SCOPED_ROUTE);
    List<String> gone = scopes.stream()
        .filter(scope -> !served.containsKey(scope) && subscription.knownVersion(scope) == null)
        .toList();
    if (!gone.isEmpty()) {
      send(XdsType.SCOPED_ROUTE, new DeltaSubscription.Update(Map.of(), gone, now.version(XdsType.SCOPED_ROUTE)),
          DeltaDiscoveryRequest.getDefaultInstance());
    }
  }

  /**
   * A route scope going while Envoy may be holding a request for its route configuration: Envoy
   * asks for the route configuration when a request with the scope's key arrives, and if that
   * subscription crosses this removal, the scope's removal reaches Envoy first and drops the held
   * request's on-demand callback (Envoy 1.40's {@code ScopedRdsConfigSubscription} destroys the
   * scope's pending callbacks with it, never running them): the request would hang until the client
   * gave up. So, before the scope's removal, Envoy is sent a placeholder of each removed scope's
   * route configuration it does not hold (an empty one: 404). An Envoy waiting for it takes it and
   * answers the request; any other drops it (not subscribed).
   *
   * <p>That alone leaves a window: a request whose fetch Envoy starts between the placeholder and
   * the scope's removal (Envoy dropped the placeholder, not yet subscribed) is dropped with the
   * scope — seen in {@code make bench-convergence} with 3 Envoys, 2 of 34 removes held. So the
   * removal of such a scope is taken out of {@code updates} and returned: the caller sends it
   * {@link #SCOPE_REMOVAL_GRACE} later. Meanwhile a request with its key makes Envoy fetch the route
   * configuration, the placeholder answers it (404), and no fetch is left to cross the removal.
   * Caller holds the lock.
   */
  private List<String> placeholdAndHoldBackScopeRemovals(ContentVersionedSnapshot previous, ContentVersionedSnapshot next,
      Map<XdsType, DeltaSubscription.Update> updates) {
    DeltaSubscription.Update scopes = updates.get(XdsType.SCOPED_ROUTE);
    DeltaSubscription routes = subscriptions.get(XdsType.ROUTE);
    if (scopes == null || scopes.removals().isEmpty() || routes == null || previous == null) {
      return List.of();
    }
    Map<String, VersionedResource<?>> before = previous.resources(XdsType.SCOPED_ROUTE);
    Map<String, String> scopeOfRouteConfiguration = new TreeMap<>();
    for (String scope : scopes.removals()) {
      VersionedResource<?> removed = before.get(scope);
      if (removed != null && removed.resource() instanceof ScopedRouteConfiguration config) {
        String routeConfiguration = bound != null && bound.held().alternate(scope)
            ? HeldBooks.alternateName(config.getRouteConfigurationName()) : config.getRouteConfigurationName();
        scopeOfRouteConfiguration.put(routeConfiguration, scope);
      }
    }
    Map<String, VersionedResource<?>> placeholders =
        routes.placeholdersFor(new ArrayList<>(scopeOfRouteConfiguration.keySet()), next);
    if (placeholders.isEmpty()) {
      return List.of();
    }
    List<String> late = placeholders.keySet().stream().map(scopeOfRouteConfiguration::get).sorted().toList();
    Set<String> lateSet = Set.copyOf(late);
    List<String> removedNow = scopes.removals().stream().filter(scope -> !lateSet.contains(scope)).toList();
    updates.put(XdsType.SCOPED_ROUTE, new DeltaSubscription.Update(scopes.upserts(), removedNow, scopes.version()));
    DeltaSubscription.Update route = updates.get(XdsType.ROUTE);
    Map<String, VersionedResource<?>> upserts = new TreeMap<>(placeholders);
    if (route != null) {
      upserts.putAll(route.upserts());
    }
    updates.put(XdsType.ROUTE, new DeltaSubscription.Update(upserts, route == null ? List.of() : route.removals(),
        route == null ? next.version(XdsType.ROUTE) : route.version()));
    return late;
  }

  /** Caller holds the lock. Returns the response's nonce. */
  private String send(XdsType type, DeltaSubscription.Update update, DeltaDiscoveryRequest request) {
    String typeUrl = type.typeUrl();
    DeltaDiscoveryResponse.Builder response = DeltaDiscoveryResponse.newBuilder()
        .setTypeUrl(typeUrl)
        .setSystemVersionInfo(update.version())
        .setNonce(Long.toString(++nonce))
        .addAllRemovedResources(update.removals());
    update.upserts().forEach((name, resource) -> response.addResources(Resource.newBuilder()
        .setName(name)
        .setVersion(resource.version())
        .setResource(Any.pack(resource.resource()))));
    DeltaDiscoveryResponse built = response.build();
    // Before sending: Envoy's (N)ACK may arrive before onNext returns, and must find its nonce.
    callbacks.forEach(callback -> callback.onV3StreamDeltaResponse(id, request, built));
    if (bound != null && type == XdsType.ROUTE) {
      bound.sentRoutes(update, built.getNonce());
    }
    log.debug("event=delta_response stream={} type={} version={} nonce={} resources={} removed={}", id, type,
        update.version(), built.getNonce(), built.getResourcesCount(), built.getRemovedResourcesCount());
    try {
      responses.onNext(built);
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.CANCELLED) {
        throw e;
      }
    }
    return built.getNonce();
  }

  @Override
  public void onError(Throwable error) {
    if (!markClosed()) {
      return;
    }
    if (Status.fromThrowable(error).getCode() != Status.Code.CANCELLED) {
      log.warn("event=delta_stream_error stream={} error=\"{}\"", id, String.valueOf(error).replace('"', '\''));
    }
    callbacks.forEach(callback -> callback.onStreamCloseWithError(id, "", error));
    onClosed.run();
  }

  @Override
  public void onCompleted() {
    if (!markClosed()) {
      return;
    }
    callbacks.forEach(callback -> callback.onStreamClose(id, ""));
    synchronized (this) {
      responses.onCompleted();
    }
    onClosed.run();
  }

  /** Ends the stream with {@code error}'s status (e.g. the identity check's PERMISSION_DENIED). */
  private void closeWithError(Throwable error) {
    if (!markClosed()) {
      return;
    }
    callbacks.forEach(callback -> callback.onStreamCloseWithError(id, "", error));
    synchronized (this) {
      responses.onError(Status.fromThrowable(error).asRuntimeException());
    }
    onClosed.run();
  }

  /** True if the stream was open until now: its end is handled once. */
  private synchronized boolean markClosed() {
    if (closed) {
      return false;
    }
    closed = true;
    return true;
  }
}
