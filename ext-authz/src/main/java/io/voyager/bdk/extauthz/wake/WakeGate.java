package io.voyager.bdk.extauthz.wake;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.voyager.bdk.model.BookWake;
import io.voyager.bdk.model.CustomerNamespaces;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ext-authz's side of sleep and wake ({@link BookWake}): for a webhook to a book that sleeps when
 * idle, records the webhook on the book's wake Lease and — while the book is not ready — holds the
 * webhook until it is, or answers that it is waking.
 *
 * <ul>
 *   <li>Ready or not is read from one informer over every wake Lease (label
 *       {@value BookWake#LEASE_LABEL}), never a per-request API call.</li>
 *   <li>Activity: an accepted webhook of a ready book writes {@value BookWake#LAST_WEBHOOK} at most
 *       once per {@link BookWake#ACTIVITY_WRITE_INTERVAL} per book (per ext-authz replica), in the
 *       background: the controller's idle timer reads it; nothing waits for the write.</li>
 *   <li>Wake: for a book that is not ready the same annotation is written at once (once per
 *       {@code rewakeInterval} per book, however many webhooks wait) — that write is the wake-up
 *       call the controller acts on — and the check is held, without holding a thread, until the
 *       Lease says ready (then, after {@code settle}, the time the gateway needs to route to the new
 *       endpoint) or {@code holdTimeout} passes. At most {@code maxHeld} checks are held at once;
 *       beyond that a webhook is answered at once as waking.</li>
 * </ul>
 * Only authentic webhooks get here (signature, replay and rate limit come first), so forged traffic
 * can neither wake a book nor keep it awake. A Lease outside the customer namespaces, or one the
 * informer does not know, is not waited for: the webhook goes on as for any book.
 */
public final class WakeGate implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WakeGate.class);

  /** Bounds and timings. */
  public record Settings(Duration holdTimeout, Duration settle, Duration rewakeInterval, int maxHeld, long maxTrackedBooks) {
    public static Settings standard() {
      return new Settings(Duration.ofSeconds(20), Duration.ofMillis(1500), Duration.ofSeconds(5), 10_000, 100_000);
    }
  }

  /** What happened to a held webhook. */
  public enum Outcome {
    /** The book was ready already: nothing was held. */
    READY,
    /** The book became ready while the webhook was held. */
    WOKEN,
    /** The book did not become ready within the hold timeout. */
    TIMED_OUT,
    /** Too many webhooks were held already. */
    TOO_MANY_HELD
  }

  private final KubernetesClient client;
  private final Settings settings;
  private final Clock clock;
  private final SharedIndexInformer<Lease> leases;
  private final Map<String, Set<CompletableFuture<Outcome>>> waiting = new ConcurrentHashMap<>();
  private final AtomicInteger held = new AtomicInteger();
  /** Per book: when this replica last wrote its activity (bounded). */
  private final Cache<String, Boolean> recentActivity;
  /** Per book: when this replica last asked it to wake (bounded). */
  private final Cache<String, Boolean> recentWakes;
  private final ScheduledExecutorService timers;
  private final MeterRegistry registry;

  public WakeGate(KubernetesClient client, Settings settings, MeterRegistry registry, Clock clock, Ticker ticker) {
    this.client = client;
    this.settings = settings;
    this.clock = clock;
    this.registry = registry;
    this.recentActivity = Caffeine.newBuilder().ticker(ticker).maximumSize(settings.maxTrackedBooks())
        .expireAfterWrite(BookWake.ACTIVITY_WRITE_INTERVAL).build();
    this.recentWakes = Caffeine.newBuilder().ticker(ticker).maximumSize(settings.maxTrackedBooks())
        .expireAfterWrite(settings.rewakeInterval()).build();
    this.timers = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "wake-gate");
      t.setDaemon(true);
      return t;
    });
    this.leases = client.leases().inAnyNamespace().withLabel(BookWake.LEASE_LABEL, "true").runnableInformer(0);
    leases.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Lease lease) {
        changed(lease);
      }

      @Override
      public void onUpdate(Lease older, Lease newer) {
        changed(newer);
      }

      @Override
      public void onDelete(Lease lease, boolean unknown) {
        // A deleted book's held webhooks time out; nothing else to do.
      }
    });
    leases.start().toCompletableFuture().join();
    Gauge.builder("bdk.extauthz.wake.held", held, AtomicInteger::get)
        .description("webhooks held until their sleeping book is ready").register(registry);
    LOG.info("event=wake_gate_started hold_timeout_ms={} settle_ms={} max_held={}",
        settings.holdTimeout().toMillis(), settings.settle().toMillis(), settings.maxHeld());
  }

  /**
   * Completes when the webhook may go on to the book ({@link Outcome#READY}, {@link Outcome#WOKEN})
   * or should be answered as waking ({@link Outcome#TIMED_OUT}, {@link Outcome#TOO_MANY_HELD}).
   *
   * @param lease {@code namespace/name} of the book's wake Lease
   */
  public CompletableFuture<Outcome> admit(String lease) {
    Optional<Lease> known = known(lease);
    if (known.isEmpty() || ready(known.get())) {
      recordActivity(lease, known);
      count(Outcome.READY);
      return CompletableFuture.completedFuture(Outcome.READY);
    }
    wake(lease);
    if (held.incrementAndGet() > settings.maxHeld()) {
      held.decrementAndGet();
      count(Outcome.TOO_MANY_HELD);
      return CompletableFuture.completedFuture(Outcome.TOO_MANY_HELD);
    }
    long started = System.nanoTime();
    CompletableFuture<Outcome> result = new CompletableFuture<>();
    waiting.computeIfAbsent(lease, k -> ConcurrentHashMap.newKeySet()).add(result);
    timers.schedule(() -> result.complete(Outcome.TIMED_OUT), settings.holdTimeout().toMillis(), TimeUnit.MILLISECONDS);
    result.whenComplete((outcome, error) -> {
      held.decrementAndGet();
      waiting.computeIfPresent(lease, (k, list) -> {
        list.remove(result);
        return list.isEmpty() ? null : list;
      });
      count(outcome);
      Timer.builder("bdk.extauthz.wake.hold.duration").description("how long webhooks were held for a waking book")
          .tag("outcome", outcome == null ? "error" : outcome.name().toLowerCase(Locale.ROOT))
          .register(registry).record(Duration.ofNanos(System.nanoTime() - started));
    });
    // The Lease may have turned ready between the check above and the registration.
    known(lease).filter(WakeGate::ready).ifPresent(l -> release(lease));
    return result;
  }

  private void changed(Lease lease) {
    if (ready(lease)) {
      String key = key(lease);
      if (waiting.containsKey(key)) {
        LOG.info("event=book_awake lease={} held={}", key, waiting.getOrDefault(key, Set.of()).size());
        release(key);
      }
    }
  }

  /** Releases {@code lease}'s held webhooks after the settle time (the gateway routing to the new endpoint). */
  private void release(String lease) {
    timers.schedule(() -> {
      var held = waiting.get(lease);
      if (held != null) {
        List.copyOf(held).forEach(f -> f.complete(Outcome.WOKEN));
      }
    }, settings.settle().toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The activity record for a ready book, at most once per interval per book; in the background. */
  private void recordActivity(String lease, Optional<Lease> known) {
    if (known.isEmpty() || recentActivity.getIfPresent(lease) != null) {
      return;
    }
    recentActivity.put(lease, Boolean.TRUE);
    timers.execute(() -> writeLastWebhook(lease, "activity"));
  }

  /** The wake-up call: written at once (once per re-wake interval per book, however many wait). */
  private void wake(String lease) {
    if (recentWakes.getIfPresent(lease) != null) {
      return;
    }
    recentWakes.put(lease, Boolean.TRUE);
    recentActivity.put(lease, Boolean.TRUE);
    LOG.info("event=book_wake_requested lease={}", lease);
    timers.execute(() -> writeLastWebhook(lease, "wake"));
  }

  private void writeLastWebhook(String lease, String why) {
    int slash = lease.indexOf('/');
    String namespace = lease.substring(0, slash);
    String name = lease.substring(slash + 1);
    String patch = "{\"metadata\":{\"annotations\":{\"" + BookWake.LAST_WEBHOOK + "\":\"" + clock.instant() + "\"}}}";
    try {
      client.leases().inNamespace(namespace).withName(name).patch(PatchContext.of(PatchType.JSON_MERGE), patch);
      Counter.builder("bdk.extauthz.wake.lease.writes").description("writes to wake Leases (activity records and wake-up calls)")
          .tags("kind", why, "result", "written").register(registry).increment();
    } catch (KubernetesClientException e) {
      LOG.warn("event=wake_lease_write_failed lease={} kind={} code={}", lease, why, e.getCode());
      Counter.builder("bdk.extauthz.wake.lease.writes").description("writes to wake Leases (activity records and wake-up calls)")
          .tags("kind", why, "result", "failed").register(registry).increment();
      if ("wake".equals(why)) {
        recentWakes.invalidate(lease); // try again with the next webhook
      }
    }
  }

  private Optional<Lease> known(String lease) {
    int slash = lease == null ? -1 : lease.indexOf('/');
    if (slash <= 0 || !CustomerNamespaces.isCustomerNamespace(lease.substring(0, slash))) {
      return Optional.empty();
    }
    return Optional.ofNullable(leases.getIndexer().getByKey(lease));
  }

  private static boolean ready(Lease lease) {
    var annotations = lease.getMetadata().getAnnotations();
    return annotations != null && "true".equals(annotations.get(BookWake.READY));
  }

  private static String key(Lease lease) {
    return lease.getMetadata().getNamespace() + "/" + lease.getMetadata().getName();
  }

  private void count(Outcome outcome) {
    Counter.builder("bdk.extauthz.wake.holds").description("webhooks to books that sleep when idle, by what the gate did")
        .tag("outcome", outcome == null ? "error" : outcome.name().toLowerCase(Locale.ROOT))
        .register(registry).increment();
  }

  /** Webhooks held right now. */
  public int held() {
    return held.get();
  }

  @Override
  public void close() {
    leases.close();
    timers.shutdownNow();
    waiting.values().forEach(list -> List.copyOf(list).forEach(f -> f.complete(Outcome.TIMED_OUT)));
  }
}
