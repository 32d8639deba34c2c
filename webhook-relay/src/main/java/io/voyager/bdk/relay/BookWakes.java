package io.voyager.bdk.relay;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.voyager.bdk.model.BookWake;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay's side of sleep and wake ({@link BookWake}, docs/sleep-wake.md): before a queued
 * webhook of a book that sleeps when idle is delivered, its wake Lease says whether the book is
 * ready. Ready (for at least {@code settle}, the time the gateway needs to route to a new
 * endpoint): deliver, and record the activity on the Lease at most once per
 * {@link BookWake#ACTIVITY_WRITE_INTERVAL} per book, so the controller does not put a book to sleep
 * while its queued webhooks flow. Not ready: write the wake-up call ({@value BookWake#LAST_WEBHOOK},
 * at most once per {@code rewakeInterval} per book however many webhooks wait) and keep the message
 * — the workers put it back with {@code nakWithDelay}, which is not an attempt and does not touch
 * the endpoint's circuit breaker — until the Lease turns ready or {@code wakeTimeout} passed since
 * the webhook began waiting (then it is dead-lettered, reason {@code wake_timeout}).
 *
 * <p>Readiness comes from one informer over every wake Lease (label {@value BookWake#LEASE_LABEL}),
 * never a per-message API call; its memory is one entry per sleeping-capable book. Lease writes run
 * on their own thread, so a slow API server never holds a delivery worker. A Lease the informer
 * does not know (the book was deleted, or it no longer sleeps when idle) is not waited for: the
 * webhook is delivered as for any book, on the retry schedule.
 */
final class BookWakes implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BookWakes.class);

  /**
   * Bounds and timings.
   *
   * @param wakeTimeout how long a webhook waits for its book to become ready before it is dead-lettered
   * @param settle how long a Lease must have been ready before deliveries go on (routing catches up)
   * @param recheck how long a waiting message is put back for before it is looked at again
   * @param rewakeInterval at most one wake-up call per book per this interval
   * @param maxTrackedBooks bound of the per-book write-rate caches
   */
  record Settings(Duration wakeTimeout, Duration settle, Duration recheck, Duration rewakeInterval, long maxTrackedBooks) {
    Settings {
      if (wakeTimeout.isNegative() || wakeTimeout.isZero()) {
        throw new IllegalArgumentException("--wake-timeout must be positive, got " + wakeTimeout);
      }
      if (recheck.isNegative() || recheck.isZero()) {
        throw new IllegalArgumentException("--wake-recheck must be positive, got " + recheck);
      }
      if (settle.isNegative()) {
        throw new IllegalArgumentException("--wake-settle must not be negative, got " + settle);
      }
    }

    static Settings standard() {
      return new Settings(Duration.ofMinutes(10), Duration.ofMillis(1500), Duration.ofSeconds(2), Duration.ofSeconds(5),
          100_000);
    }
  }

  /** What to do with a webhook of a book that sleeps when idle. */
  sealed interface Verdict {
    /** The book is ready (or its Lease unknown): deliver now. */
    record Deliver() implements Verdict {}

    /** The book is asleep or waking (a wake-up call was written): look again after {@code after}. */
    record Wait(Duration after) implements Verdict {}

    /** The book did not become ready within the wake timeout: dead-letter, saying so. */
    record GiveUp(String why) implements Verdict {}
  }

  /** Whether a Lease says ready, and since when (as this relay saw it). */
  private record Readiness(boolean ready, Instant since) {}

  private static final Verdict DELIVER = new Verdict.Deliver();

  private final KubernetesClient client;
  private final Settings settings;
  private final Clock clock;
  private final SharedIndexInformer<Lease> leases;
  private final Map<String, Readiness> readiness = new ConcurrentHashMap<>();
  private final Cache<String, Boolean> recentActivity;
  private final Cache<String, Boolean> recentWakes;
  private final ExecutorService writes;
  private final MeterRegistry registry;
  private final Counter waits;

  BookWakes(KubernetesClient client, Settings settings, MeterRegistry registry, Clock clock) {
    this.client = client;
    this.settings = settings;
    this.clock = clock;
    this.registry = registry;
    this.recentActivity = Caffeine.newBuilder().maximumSize(settings.maxTrackedBooks())
        .expireAfterWrite(BookWake.ACTIVITY_WRITE_INTERVAL).build();
    this.recentWakes = Caffeine.newBuilder().maximumSize(settings.maxTrackedBooks())
        .expireAfterWrite(settings.rewakeInterval()).build();
    this.writes = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "relay-wake");
      t.setDaemon(true);
      return t;
    });
    this.waits = Counter.builder("bdk.relay.wake.waits")
        .description("Times a queued webhook was put back because its book was asleep or waking (not an attempt)")
        .register(registry);
    for (String kind : new String[] {"wake", "activity"}) {
      for (String result : new String[] {"written", "failed"}) {
        leaseWrites(kind, result);
      }
    }
    this.leases = client.leases().inAnyNamespace().withLabel(BookWake.LEASE_LABEL, "true").runnableInformer(0);
    leases.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Lease lease) {
        boolean ready = ready(lease);
        // Ready already when first seen: settled long ago as far as this relay can tell.
        readiness.put(key(lease), new Readiness(ready, ready ? Instant.EPOCH : clock.instant()));
      }

      @Override
      public void onUpdate(Lease older, Lease newer) {
        boolean ready = ready(newer);
        readiness.compute(key(newer), (k, was) -> was != null && was.ready() == ready ? was
            : new Readiness(ready, clock.instant()));
      }

      @Override
      public void onDelete(Lease lease, boolean unknown) {
        readiness.remove(key(lease));
      }
    });
    leases.start().toCompletableFuture().join();
    log.info("event=book_wakes_started wake_timeout_ms={} settle_ms={} recheck_ms={} leases={}",
        settings.wakeTimeout().toMillis(), settings.settle().toMillis(), settings.recheck().toMillis(), readiness.size());
  }

  /**
   * What to do with a webhook for the book whose wake Lease is {@code lease} ({@code namespace/name}),
   * which has been waiting since {@code waitingSince} (when it was received).
   */
  Verdict check(String lease, String instance, Instant waitingSince) {
    Readiness state = readiness.get(lease);
    if (state == null) {
      return DELIVER;
    }
    Instant now = clock.instant();
    if (state.ready()) {
      Instant settled = state.since().plus(settings.settle());
      if (now.isBefore(settled)) {
        waits.increment();
        return new Verdict.Wait(Duration.between(now, settled));
      }
      recordActivity(lease);
      return DELIVER;
    }
    // Waiting since it arrived, or since the book stopped being ready if that came later.
    Instant since = waitingSince.isAfter(state.since()) ? waitingSince : state.since();
    Duration waited = Duration.between(since, now);
    if (waited.compareTo(settings.wakeTimeout()) > 0) {
      return new Verdict.GiveUp("the book did not become ready within " + settings.wakeTimeout()
          + " (wake Lease " + lease + " still says " + BookWake.READY + "=false)");
    }
    requestWake(lease, instance);
    waits.increment();
    Duration left = settings.wakeTimeout().minus(waited).plusMillis(1);
    return new Verdict.Wait(left.compareTo(settings.recheck()) < 0 ? left : settings.recheck());
  }

  private void recordActivity(String lease) {
    if (recentActivity.asMap().putIfAbsent(lease, Boolean.TRUE) == null) {
      writes.execute(() -> writeLastWebhook(lease, "activity"));
    }
  }

  private void requestWake(String lease, String instance) {
    if (recentWakes.asMap().putIfAbsent(lease, Boolean.TRUE) == null) {
      recentActivity.put(lease, Boolean.TRUE);
      log.info("event=book_wake_requested lease={} instance={} by=webhook-relay", lease, instance);
      writes.execute(() -> writeLastWebhook(lease, "wake"));
    }
  }

  private void writeLastWebhook(String lease, String kind) {
    int slash = lease.indexOf('/');
    String patch = "{\"metadata\":{\"annotations\":{\"" + BookWake.LAST_WEBHOOK + "\":\"" + clock.instant() + "\"}}}";
    try {
      client.leases().inNamespace(lease.substring(0, slash)).withName(lease.substring(slash + 1))
          .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
      leaseWrites(kind, "written").increment();
    } catch (KubernetesClientException e) {
      log.warn("event=wake_lease_write_failed lease={} kind={} code={} error=\"{}\"", lease, kind, e.getCode(),
          DeadLetters.oneLine(e.getMessage()));
      leaseWrites(kind, "failed").increment();
      if ("wake".equals(kind)) {
        recentWakes.invalidate(lease); // the next look at a waiting webhook tries again
      }
    }
  }

  private Counter leaseWrites(String kind, String result) {
    return Counter.builder("bdk.relay.wake.lease.writes")
        .description("Writes to wake Leases by the relay: wake-up calls and activity records")
        .tags("kind", kind, "result", result).register(registry);
  }

  private static boolean ready(Lease lease) {
    var annotations = lease.getMetadata().getAnnotations();
    return annotations != null && "true".equals(annotations.get(BookWake.READY));
  }

  private static String key(Lease lease) {
    return lease.getMetadata().getNamespace() + "/" + lease.getMetadata().getName();
  }

  @Override
  public void close() {
    leases.close();
    writes.shutdownNow();
  }
}
