package io.voyager.bdk.xds.server;

import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.voyager.bdk.xds.version.ContentVersionedSnapshot;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delta xDS over ADS ({@code api_type: DELTA_GRPC} in Envoy's bootstrap), served from the same
 * content-versioned snapshots as state-of-the-world, without java-control-plane's delta code
 * (which ignores {@code initial_resource_versions}, java-control-plane issue #463; see
 * {@link DeltaSubscription}). Each snapshot's differences are computed once
 * ({@link SnapshotChanges}) and every stream sends only what concerns it.
 *
 * <p>Stream ids start at {@value #FIRST_STREAM_ID} so they never meet java-control-plane's
 * state-of-the-world ids (counted from 0) in the callbacks both kinds of stream share.
 */
public final class DeltaAds implements SnapshotPublisher.Subscriber {
  private static final Logger log = LoggerFactory.getLogger(DeltaAds.class);
  public static final long FIRST_STREAM_ID = 1L << 40;

  private final List<DiscoveryServerCallbacks> callbacks;
  private final Supplier<ContentVersionedSnapshot> current;
  private final AtomicLong nextStreamId = new AtomicLong(FIRST_STREAM_ID);
  private final Map<Long, DeltaAdsStream> streams = new ConcurrentHashMap<>();
  private final DeltaAdsStream.DelayedTasks delayedTasks;
  /**
   * The xds-server's default {@code --held-books-limit}: books one Envoy holds loaded on demand
   * before the least recently fetched is unloaded. About 117 MiB + 2,000 × 62 KB of Envoy 1.40 RSS
   * at 10,000 books, under issue 12's 300 MiB with every book called (docs/operations.md, "Picking N").
   */
  public static final String DEFAULT_HELD_BOOKS_LIMIT = "2000";

  private final HeldBooksLimit heldBooksLimit;
  /** Each snapshot's book scopes for the held-books bound, derived once per snapshot for every stream. */
  private final BookScopesIndex bookScopes = new BookScopesIndex();

  /**
   * One daemon thread for every server's delayed tasks in this JVM (the late removals of route
   * scopes: a send each, rare); it ends with the JVM.
   */
  private static final ScheduledExecutorService DELAYED = Executors.newSingleThreadScheduledExecutor(task -> {
    Thread thread = new Thread(task, "delta-ads-delayed");
    thread.setDaemon(true);
    return thread;
  });

  /** {@code current} gives the snapshot served now (null before the first). */
  public DeltaAds(List<DiscoveryServerCallbacks> callbacks, Supplier<ContentVersionedSnapshot> current) {
    this(callbacks, current, (task, delay) -> DELAYED.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS));
  }

  DeltaAds(List<DiscoveryServerCallbacks> callbacks, Supplier<ContentVersionedSnapshot> current,
      DeltaAdsStream.DelayedTasks delayedTasks) {
    this(callbacks, current, delayedTasks, HeldBooksLimit.OFF);
  }

  DeltaAds(List<DiscoveryServerCallbacks> callbacks, Supplier<ContentVersionedSnapshot> current,
      DeltaAdsStream.DelayedTasks delayedTasks, HeldBooksLimit heldBooksLimit) {
    this.callbacks = List.copyOf(callbacks);
    this.current = current;
    this.delayedTasks = delayedTasks;
    this.heldBooksLimit = heldBooksLimit;
  }

  /** Serves {@code publisher}'s snapshots, current and future. */
  public static DeltaAds serving(SnapshotPublisher publisher, List<DiscoveryServerCallbacks> callbacks) {
    DeltaAds delta = new DeltaAds(callbacks, () -> publisher.current().orElse(null));
    publisher.onPublished(delta);
    return delta;
  }

  /**
   * As {@link #serving(SnapshotPublisher, List)}, each Envoy holding at most {@code heldBooksLimit}
   * books' on-demand route configurations (0: no bound; {@link HeldBooksBound}); evictions and
   * the books held by all streams are metered in {@code registry}.
   */
  public static DeltaAds serving(SnapshotPublisher publisher, List<DiscoveryServerCallbacks> callbacks,
      int heldBooksLimit, MeterRegistry registry) {
    DeltaAds delta = new DeltaAds(callbacks, () -> publisher.current().orElse(null),
        (task, delay) -> DELAYED.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS),
        HeldBooksLimit.of(heldBooksLimit, registry));
    Gauge.builder("bdk.xds.held.books", delta, DeltaAds::heldBooks)
        .description("Books whose on-demand route configurations the connected Envoys hold (delta streams, summed)")
        .register(registry);
    Gauge.builder("bdk.xds.held.books.limit", () -> heldBooksLimit)
        .description("The held-books bound: books one Envoy may hold (--held-books-limit; 0: no bound)")
        .register(registry);
    publisher.onPublished(delta);
    return delta;
  }

  /** As {@link #serving(SnapshotPublisher, List, int, MeterRegistry)} with delayed tasks run by {@code delayedTasks} (tests). */
  static DeltaAds serving(SnapshotPublisher publisher, List<DiscoveryServerCallbacks> callbacks,
      DeltaAdsStream.DelayedTasks delayedTasks, HeldBooksLimit heldBooksLimit) {
    DeltaAds delta = new DeltaAds(callbacks, () -> publisher.current().orElse(null), delayedTasks, heldBooksLimit);
    publisher.onPublished(delta);
    return delta;
  }

  /** Books held by the open delta streams under the held-books bound, summed (0 when off). */
  public int heldBooks() {
    return streams.values().stream().mapToInt(DeltaAdsStream::heldBooks).sum();
  }

  /** As {@link #serving(SnapshotPublisher, List)}, delayed tasks run by {@code delayedTasks} (tests). */
  static DeltaAds serving(SnapshotPublisher publisher, List<DiscoveryServerCallbacks> callbacks,
      DeltaAdsStream.DelayedTasks delayedTasks) {
    DeltaAds delta = new DeltaAds(callbacks, () -> publisher.current().orElse(null), delayedTasks);
    publisher.onPublished(delta);
    return delta;
  }

  /** A new {@code DeltaAggregatedResources} call: the handler of its requests. */
  public StreamObserver<DeltaDiscoveryRequest> open(StreamObserver<DeltaDiscoveryResponse> responses) {
    long id = nextStreamId.getAndIncrement();
    DeltaAdsStream stream = new DeltaAdsStream(id, responses, callbacks, current, () -> {
      if (streams.remove(id) != null) {
        log.info("event=delta_stream_closed stream={}", id);
      }
    }, delayedTasks, heldBooksLimit, bookScopes);
    streams.put(id, stream);
    if (stream.open()) {
      log.info("event=delta_stream_opened stream={}", id);
    }
    return stream;
  }

  @Override
  public void published(ContentVersionedSnapshot previous, ContentVersionedSnapshot next) {
    if (streams.isEmpty()) {
      return;
    }
    SnapshotChanges changes = SnapshotChanges.between(previous, next);
    if (heldBooksLimit.books() > 0) {
      bookScopes.of(previous, next, changes); // once here, from these changes; each stream finds it
    }
    for (DeltaAdsStream stream : streams.values()) {
      try {
        stream.published(previous, next, changes);
      } catch (RuntimeException e) {
        // One broken stream must not keep the snapshot from the others (or fail the publisher).
        log.warn("event=delta_publish_failed stream={} error=\"{}\"", stream.id(), String.valueOf(e).replace('"', '\''));
      }
    }
  }

  /** Delta streams open now. */
  public int streamCount() {
    return streams.size();
  }
}
