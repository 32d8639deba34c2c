package io.voyager.bdk.xds.watch;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.support.auth.JwtSettings;
import io.voyager.bdk.xds.ir.BookTranslation;
import io.voyager.bdk.xds.model.BookSource;
import io.voyager.bdk.xds.model.EdgeCertificate;
import io.voyager.bdk.xds.model.EdgeSettings;
import io.voyager.bdk.xds.model.GatewayInput;
import io.voyager.bdk.xds.model.InputChanges;
import io.voyager.bdk.xds.model.GatewaySettings;
import io.voyager.bdk.xds.model.JwksDocument;
import io.voyager.bdk.xds.model.PersistentMap;
import io.voyager.bdk.xds.model.ServiceKey;
import io.voyager.bdk.xds.nack.Quarantine;
import io.voyager.bdk.xds.server.SnapshotPublisher;
import io.voyager.bdk.xds.server.TranslationHistory;
import io.voyager.bdk.xds.translate.PublishedTranslation;
import io.voyager.bdk.xds.translate.IncrementalTranslator;
import io.voyager.bdk.xds.translate.Translation;
import io.voyager.bdk.xds.translate.XdsResources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The I/O edge: SharedInformers on ExternalBookDefinitions (all namespaces), EndpointSlices,
 * the edge TLS Secret (when an HTTPS listener is configured) and, when the JWT settings name one,
 * the single Secret or ConfigMap holding the JWKS; every event that can change the translation
 * signals a {@link Debouncer} (a book's status or label change does not: only its status is
 * checked again); a debounced rebuild reads from the informer caches the books and slices the
 * events named ({@link WatchedInputs}; everything after a global change),
 * leaves out the books the {@link Quarantine} holds, translates incrementally, publishes the
 * snapshot when its content changed (remembering which translation each served version came
 * from), and hands each book's desired status to a {@link StatusWriteQueue}, which writes it on
 * its own thread: a slow API server never delays a snapshot.
 */
public final class GatewayWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GatewayWatcher.class);
  /** Translations remembered for NACK attribution: a NACK answers one of the last few pushes. */
  static final int SERVED_TRANSLATIONS_KEPT = 4;

  private final KubernetesClient client;
  private final GatewaySettings settings;
  private final IncrementalTranslator translator;
  private final SnapshotPublisher publisher;
  private final UnaryOperator<XdsResources> outputFilter;
  private final Duration firstSnapshotWait;
  private final StatusWriteQueue statusWrites;
  private final ScheduledExecutorService executor;
  private final Debouncer debouncer;
  private final Timer translationTimer;
  private final Timer debounceHop;
  private final Timer inputHop;
  private final Timer translateHop;
  private final Timer publishHop;
  private final Timer statusHop;
  private final Counter builds;
  private final Counter buildFailures;
  private final Counter updatesWithoutRebuild;
  /** The books and slices as the model, updated by the keys the informers name (rebuild thread only). */
  private final WatchedInputs inputs = new WatchedInputs();
  /** The held-out books of the last rebuild's input (rebuild thread only). */
  private Map<String, String> lastHeldOut = Map.of();
  private final AtomicReference<Translation> last = new AtomicReference<>();
  /** Books held out after Envoy refused their resources; consulted on every rebuild. */
  private final Quarantine quarantine = new Quarantine();
  /** The books and Services changed since the last rebuild: the translator visits only those. */
  private final PendingChanges pending = new PendingChanges();
  /** New books held out until their first endpoints (rebuild thread only). */
  private final FirstEndpointsGate firstEndpoints;
  /** The rebuild that lets the earliest waiting book through when its grace ends. */
  private ScheduledFuture<?> graceRebuild;
  /** Which translation produced each recently served version, to tie a NACK to exact inputs. */
  private final TranslationHistory served = new TranslationHistory(SERVED_TRANSLATIONS_KEPT);
  private SharedIndexInformer<ExternalBookDefinition> books;
  private SharedIndexInformer<EndpointSlice> slices;
  /** The JWKS object (a field-selected watch of one name), or null when Envoy fetches a JWKS URI. */
  private SharedIndexInformer<? extends HasMetadata> jwksObject;
  /** The edge TLS Secret (a field-selected watch of one name), or null without an HTTPS listener. */
  private SharedIndexInformer<Secret> edgeTlsSecret;
  /** The edge certificate of the last Secret version seen (checked and logged once per version). */
  private volatile EdgeCertificateCacheEntry edgeCertificate = new EdgeCertificateCacheEntry(NOT_SEEN, EdgeCertificate.NOT_READ);
  /** The JWKS document of the last object version seen (parsed and logged once per version). */
  private volatile JwksCacheEntry jwks = new JwksCacheEntry(NOT_SEEN, JwksDocument.NOT_READ);
  private static final String NOT_SEEN = "(not seen)";
  /** Events before both caches are synced are covered by the first rebuild. */
  private volatile boolean started;

  /** {@code resourceVersion} null: the object does not exist; {@link #NOT_SEEN}: nothing read yet. */
  private record JwksCacheEntry(String resourceVersion, JwksDocument document) {}

  private record EdgeCertificateCacheEntry(String resourceVersion, EdgeCertificate certificate) {}

  /**
   * Watches with {@code client}, translates {@code settings} and the watched objects with
   * {@code translator}, publishes through {@code publisher}, and writes each book's status under
   * {@code statusLocks} (shared with whatever else writes book conditions) on its own thread;
   * paced and filtered as {@code watch} says.
   */
  public GatewayWatcher(
      KubernetesClient client,
      GatewaySettings settings,
      IncrementalTranslator translator,
      SnapshotPublisher publisher,
      BookStatusLocks statusLocks,
      MeterRegistry registry,
      WatchSettings watch) {
    this(client, settings, translator, publisher, new StatusWriter(client, statusLocks),
        StatusWriteQueue.Runner.singleThread("xds-status-writer"), registry, watch);
  }

  /** Test seam: statuses written by {@code statusWriter} on {@code statusRunner}. */
  GatewayWatcher(
      KubernetesClient client,
      GatewaySettings settings,
      IncrementalTranslator translator,
      SnapshotPublisher publisher,
      StatusWriteQueue.Writer statusWriter,
      StatusWriteQueue.Runner statusRunner,
      MeterRegistry registry,
      WatchSettings watch) {
    this.client = client;
    this.firstEndpoints = new FirstEndpointsGate(watch.firstEndpointsGrace());
    this.outputFilter = watch.outputFilter();
    this.firstSnapshotWait = watch.firstSnapshotWait();
    this.settings = settings;
    this.translator = translator;
    this.publisher = publisher;
    this.statusWrites = new StatusWriteQueue(statusWriter, this::cachedBook, statusRunner,
        StatusWriteQueue.RetryPolicy.defaults(), registry);
    this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "xds-rebuild");
      t.setDaemon(true);
      return t;
    });
    this.debouncer = new Debouncer(executor, watch.debounceQuiet(), watch.debounceMax(), this::debouncedRebuild);
    this.translationTimer = Timer.builder("bdk.xds.translation")
        .description("One rebuild, from reading the changes to the snapshot handed to the xDS servers and the statuses offered"
            + " (bdk.xds.rebuild.hop splits it)")
        .register(registry);
    this.debounceHop = hop(registry, "debounce", "from the first change signal of a burst until its rebuild starts");
    this.inputHop = hop(registry, "input", "the changes drained, the informer caches read into the model, held-out books decided");
    this.translateHop = hop(registry, "translate", "the incremental translator and the output filter");
    this.publishHop = hop(registry, "publish", "content versions, the snapshot set and handed to every xDS server (their sends)");
    this.statusHop = hop(registry, "status", "rejections logged and desired statuses offered to the status writer (the changed books';"
        + " every book's after a global change)");
    this.builds = Counter.builder("bdk.xds.snapshot.builds").description("Snapshot builds (debounced rebuilds)").register(registry);
    this.buildFailures = Counter.builder("bdk.xds.snapshot.build.failures").description("Snapshot builds that failed").register(registry);
    this.updatesWithoutRebuild = Counter.builder("bdk.xds.book.updates.unrouted")
        .description("ExternalBookDefinition updates that changed neither spec nor deletion (status, labels): no rebuild,"
            + " only the book's status checked")
        .register(registry);
    Gauge.builder("bdk.xds.quarantined.books", quarantine, Quarantine::size)
        .description("ExternalBookDefinitions held out of the gateway because Envoy rejected their resources")
        .register(registry);
    if (settings.edge().tlsSecret() != null) {
      Gauge.builder("bdk.xds.edge.tls.ready", this, w -> w.edgeCertificate.certificate() instanceof EdgeCertificate.Usable ? 1 : 0)
          .description("1 while the HTTPS listener is served with a usable certificate from its Secret; 0 while it is withheld"
              + " (see the xds-server's edge_tls_unavailable log)")
          .register(registry);
      Gauge.builder("bdk.xds.edge.certificate.expiry", this,
              w -> w.edgeCertificate.certificate() instanceof EdgeCertificate.Usable u ? u.notAfter().getEpochSecond() : 0)
          .description("Expiry (Unix time, seconds) of the certificate the HTTPS listener serves; 0 without one")
          .baseUnit("seconds")
          .register(registry);
    }
    if (settings.jwt().jwks() instanceof JwtSettings.KubernetesJwks) {
      Gauge.builder("bdk.xds.jwks.keys", this, w -> w.jwks.document() instanceof JwksDocument.Keys k ? k.keyIds().size() : 0)
          .description("Signing keys the gateway verifies library tokens with, from its JWKS Secret/ConfigMap; 0 = none usable:"
              + " every library request is refused (see the xds-server's jwks_unavailable log)")
          .register(registry);
    }
  }

  private static Timer hop(MeterRegistry registry, String hop, String what) {
    return Timer.builder("bdk.xds.rebuild.hop").tag("hop", hop).description("One step of a rebuild: " + what).register(registry);
  }

  /**
   * Starts the informers, waits for their caches, then builds and publishes the first snapshot,
   * waiting for it at most {@link WatchSettings#firstSnapshotWait()}: a slower first rebuild goes on
   * after this returns (logged as {@code event=first_snapshot_pending}).
   */
  public void start() throws Exception {
    // The JWKS object and the edge TLS Secret: global inputs.
    ResourceEventHandler<HasMetadata> signal = new ResourceEventHandler<>() {
      @Override
      public void onAdd(HasMetadata obj) {
        pending.global();
        signal();
      }

      @Override
      public void onUpdate(HasMetadata oldObj, HasMetadata newObj) {
        pending.global();
        signal();
      }

      @Override
      public void onDelete(HasMetadata obj, boolean deletedFinalStateUnknown) {
        pending.global();
        signal();
      }
    };
    ResourceEventHandler<EndpointSlice> sliceHandler = new ResourceEventHandler<>() {
      @Override
      public void onAdd(EndpointSlice obj) {
        pending.slice(obj);
        signal();
      }

      @Override
      public void onUpdate(EndpointSlice oldObj, EndpointSlice newObj) {
        pending.slice(oldObj); // its Service label may have changed: both Services
        pending.slice(newObj);
        signal();
      }

      @Override
      public void onDelete(EndpointSlice obj, boolean deletedFinalStateUnknown) {
        pending.slice(obj);
        signal();
      }
    };
    ResourceEventHandler<ExternalBookDefinition> bookHandler = new ResourceEventHandler<>() {
      @Override
      public void onAdd(ExternalBookDefinition obj) {
        pending.book(obj);
        signal();
      }

      @Override
      public void onUpdate(ExternalBookDefinition oldObj, ExternalBookDefinition newObj) {
        if (affectsTranslation(oldObj, newObj)) {
          pending.book(newObj);
          signal();
        } else {
          updatesWithoutRebuild.increment();
          recheckStatus(newObj.getMetadata().getNamespace(), newObj.getMetadata().getName());
        }
      }

      @Override
      public void onDelete(ExternalBookDefinition obj, boolean deletedFinalStateUnknown) {
        pending.book(obj);
        signal();
      }
    };
    books = client.resources(ExternalBookDefinition.class).inAnyNamespace().inform(bookHandler, 0);
    slices = client.discovery().v1().endpointSlices().inAnyNamespace().inform(sliceHandler, 0);
    waitSynced(books, "ExternalBookDefinition");
    waitSynced(slices, "EndpointSlice");
    if (settings.jwt().jwks() instanceof JwtSettings.KubernetesJwks source) {
      jwksObject = informJwks(source, signal);
      waitSynced(jwksObject, KubeViews.describe(source));
    }
    if (settings.edge().tlsSecret() != null) {
      EdgeSettings.SecretName name = settings.edge().tlsSecret();
      @SuppressWarnings({"unchecked", "rawtypes"})
      ResourceEventHandler<Secret> secretHandler = (ResourceEventHandler) signal;
      // One name, field-selected: RBAC grants get/list/watch on exactly this Secret.
      edgeTlsSecret = client.secrets().inNamespace(name.namespace()).withName(name.name()).inform(secretHandler, 0);
      waitSynced(edgeTlsSecret, "Secret " + name);
    }
    started = true;
    Future<?> first = executor.submit(this::rebuildSafely);
    try {
      first.get(firstSnapshotWait.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      // A slow first translation (many books on a busy node) must not fail the start: the rebuild
      // goes on, Envoy gets the snapshot when it is built, and readiness waits for it.
      log.warn("event=first_snapshot_pending waited_ms={} books={} note=\"serving without a snapshot until the first"
          + " rebuild ends; not ready until then\"", firstSnapshotWait.toMillis(), books.getStore().list().size());
    }
  }

  /** A watch of exactly the one object (field selector on its name): RBAC may grant just that name. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private SharedIndexInformer<? extends HasMetadata> informJwks(JwtSettings.KubernetesJwks source,
      ResourceEventHandler<HasMetadata> signal) {
    if (source.kind() == JwtSettings.KubernetesJwks.Kind.SECRET) {
      return client.secrets().inNamespace(source.namespace()).withName(source.name())
          .inform((ResourceEventHandler<Secret>) (ResourceEventHandler) signal, 0);
    }
    return client.configMaps().inNamespace(source.namespace()).withName(source.name())
        .inform((ResourceEventHandler<ConfigMap>) (ResourceEventHandler) signal, 0);
  }

  /**
   * The JWKS document of the watched object as the cache holds it now, parsed once per object
   * version; a change is logged once: the key ids kept, keys left out and why, or why there is no
   * usable key (then every library request is refused until one arrives). Remote JWKS: not read here.
   */
  private JwksDocument jwksDocument() {
    if (!(settings.jwt().jwks() instanceof JwtSettings.KubernetesJwks source)) {
      return JwksDocument.NOT_READ;
    }
    List<? extends HasMetadata> objects = jwksObject.getStore().list();
    HasMetadata object = objects.isEmpty() ? null : objects.get(0);
    String version = object == null ? null : object.getMetadata().getResourceVersion();
    if (Objects.equals(jwks.resourceVersion(), version)) {
      return jwks.document();
    }
    JwksDocument document = object == null
        ? new JwksDocument.Unavailable(KubeViews.describe(source) + ": not found")
        : JwksDocument.parse(KubeViews.describe(source), KubeViews.jwksContent(object, source.key()));
    jwks = new JwksCacheEntry(version, document);
    if (document instanceof JwksDocument.Keys keys) {
      log.info("event=jwks_loaded source=\"{}\" keys={} kids={}", KubeViews.describe(source), keys.keyIds().size(), keys.keyIds());
      keys.skipped().forEach(why -> log.warn("event=jwks_key_skipped source=\"{}\" reason=\"{}\"",
          KubeViews.describe(source), why.replace('"', '\'')));
    } else {
      log.warn("event=jwks_unavailable reason=\"{}\" effect=\"every library request is refused (401) until a usable key arrives\"",
          ((JwksDocument.Unavailable) document).reason().replace('"', '\''));
    }
    return document;
  }

  /**
   * The HTTPS listener's certificate as the Secret's cache entry holds it now, checked once per
   * Secret version; a change is logged once: served (subject, expiry), or why the HTTPS listener
   * is withheld (the plain listener and every route keep working).
   */
  private EdgeCertificate edgeCertificate() {
    EdgeSettings.SecretName name = settings.edge().tlsSecret();
    if (name == null) {
      return EdgeCertificate.NOT_READ;
    }
    List<Secret> secrets = edgeTlsSecret.getStore().list();
    Secret secret = secrets.isEmpty() ? null : secrets.get(0);
    String version = secret == null ? null : secret.getMetadata().getResourceVersion();
    if (Objects.equals(edgeCertificate.resourceVersion(), version)) {
      return edgeCertificate.certificate();
    }
    String source = "Secret " + name;
    EdgeCertificate certificate = secret == null
        ? new EdgeCertificate.Unavailable(source + ": not found")
        : EdgeCertificate.parse(source, KubeViews.secretText(secret, "tls.crt"), KubeViews.secretText(secret, "tls.key"),
            java.time.Instant.now());
    if (certificate instanceof EdgeCertificate.Unavailable unavailable) {
      EdgeCertificate before = edgeCertificate.certificate();
      EdgeCertificate.Usable previous = before instanceof EdgeCertificate.Usable u ? u
          : before instanceof EdgeCertificate.Unavailable b ? b.previous() : null;
      certificate = unavailable.withPrevious(previous);
    }
    edgeCertificate = new EdgeCertificateCacheEntry(version, certificate);
    if (certificate instanceof EdgeCertificate.Usable usable) {
      log.info("event=edge_tls_loaded source=\"{}\" subject=\"{}\" not_after={}", source,
          usable.subject().replace('"', '\''), usable.notAfter());
    } else {
      log.warn("event=edge_tls_unavailable reason=\"{}\" effect=\"the HTTPS listener is withheld until a usable certificate arrives;"
          + " plain HTTP and every route stay\"", ((EdgeCertificate.Unavailable) certificate).reason().replace('"', '\''));
    }
    return certificate;
  }

  private void signal() {
    if (started) {
      debouncer.signal();
    }
  }

  /**
   * Whether an update of a book can change the translation: its spec or whether it is being
   * deleted. Status writes (the xds-server's own, one per book) and label or annotation edits
   * cannot: at 10,000 books each would otherwise cost a whole rebuild.
   */
  static boolean affectsTranslation(ExternalBookDefinition before, ExternalBookDefinition after) {
    return (before.getMetadata().getDeletionTimestamp() == null) != (after.getMetadata().getDeletionTimestamp() == null)
        || !Objects.equals(KubeViews.book(before), KubeViews.book(after));
  }

  /** On the rebuild thread: the book's status checked against the last translation, no rebuild. */
  private void recheckStatus(String namespace, String name) {
    if (!started) {
      return;
    }
    executor.execute(() -> {
      Translation translation = last.get();
      BookTranslation book = translation == null ? null : translation.book(namespace, name);
      if (book != null) {
        statusWrites.recheck(book);
      }
    });
  }

  /** A debounced rebuild, as if an input changed (e.g. the quarantine did). */
  public void requestRebuild() {
    pending.global(); // the caller does not say what changed: every book is walked again
    signal();
  }

  /** Books held out of the gateway after Envoy refused their resources. */
  public Quarantine quarantine() {
    return quarantine;
  }

  /** The translation (and its input) that gave {@code typeUrl} the content {@code version}, if recent. */
  public Optional<PublishedTranslation> served(String typeUrl, String version) {
    return served.find(typeUrl, version);
  }

  /** {@code inform} returns once the initial list is in the cache; this confirms and logs it. */
  private static void waitSynced(SharedIndexInformer<?> informer, String kind) {
    if (!informer.hasSynced()) {
      throw new IllegalStateException(kind + " informer did not sync");
    }
    log.info("event=informer_synced kind={} items={}", kind, informer.getStore().list().size());
  }

  /** The last translation (resources and per-book results), if any. */
  public Translation lastTranslation() {
    return last.get();
  }

  /** A rebuild the debouncer runs: its wait is the debounce hop. */
  private void debouncedRebuild() {
    debounceHop.record(debouncer.lastWaitNanos(), TimeUnit.NANOSECONDS);
    rebuildSafely();
  }

  /**
   * Runs on the debouncer's executor, which would swallow anything thrown: every failure, Errors
   * included (a broken classpath shows up as NoClassDefFoundError), is logged and counted, and the
   * next event tries again.
   */
  private void rebuildSafely() {
    try {
      rebuild();
    } catch (RuntimeException | Error e) {
      pending.global(); // what this rebuild drained is not in the translator: the next one walks everything
      buildFailures.increment();
      log.error("event=rebuild_failed error=\"{}\"", String.valueOf(e).replace('"', '\''), e);
    }
  }

  private void rebuild() {
    builds.increment();
    long start = System.nanoTime();
    PendingChanges.Batch batch = pending.drain();
    InputChanges changes = batch.changes();
    PersistentMap<String, BookSource> before = inputs.books();
    if (changes.global()) {
      inputs.reload(books.getStore().list(), slices.getStore().list());
    } else {
      // Only the named keys, read again from the caches; the Services a slice left are named too.
      Set<ServiceKey> moved = inputs.update(changes.books(), batch.slices(), key -> books.getIndexer().getByKey(key),
          key -> slices.getIndexer().getByKey(key));
      if (!changes.services().containsAll(moved)) {
        Set<ServiceKey> services = new HashSet<>(changes.services());
        services.addAll(moved);
        changes = InputChanges.of(changes.books(), services);
      }
    }
    GatewayInput sources = new GatewayInput(settings, inputs.books(), inputs.slices(), Map.of(), JwksDocument.NOT_READ,
        EdgeCertificate.NOT_READ);
    Map<String, String> heldOut = heldOut(sources, before, changes, start);
    GatewayInput input = new GatewayInput(settings, inputs.books(), inputs.slices(), heldOut, jwksDocument(), edgeCertificate());
    long inputDone = System.nanoTime();
    Translation translation = filtered(translator.translate(input, changes));
    long translated = System.nanoTime();
    last.set(translation);
    SnapshotPublisher.Outcome outcome = publisher.offer(translation.resources());
    outcome.served().ifPresent(snapshot -> served.record(snapshot, new PublishedTranslation(input, translation)));
    boolean pushed = outcome.pushed();
    long published = System.nanoTime();
    offerStatuses(translation, changes, heldOut);
    long end = System.nanoTime();
    inputHop.record(inputDone - start, TimeUnit.NANOSECONDS);
    translateHop.record(translated - inputDone, TimeUnit.NANOSECONDS);
    publishHop.record(published - translated, TimeUnit.NANOSECONDS);
    statusHop.record(end - published, TimeUnit.NANOSECONDS);
    translationTimer.record(end - start, TimeUnit.NANOSECONDS);
    log.info("event=snapshot_built books={} retranslated={} pushed={} millis={} debounce_ms={} input_ms={} translate_ms={}"
            + " publish_ms={} status_ms={}", translation.books().size(), translator.lastTranslatedBooks(), pushed,
        TimeUnit.NANOSECONDS.toMillis(end - start), millis(debouncer.lastWaitNanos()), millis(inputDone - start),
        millis(translated - inputDone), millis(published - translated), millis(end - published));
  }

  /**
   * Rejections logged and desired statuses offered: after a global change for every book; otherwise
   * only for the books whose result can have changed — those the changes name and those whose
   * held-out state changed (a book's result depends on nothing else).
   */
  private void offerStatuses(Translation translation, InputChanges changes, Map<String, String> heldOut) {
    Map<String, String> heldBefore = lastHeldOut;
    lastHeldOut = heldOut;
    if (changes.global()) {
      for (BookTranslation t : translation.books()) {
        logRejected(t);
      }
      statusWrites.offer(translation.books());
      return;
    }
    Set<String> keys = new HashSet<>(changes.books());
    if (!heldOut.equals(heldBefore)) {
      heldOut.forEach((key, why) -> {
        if (!why.equals(heldBefore.get(key))) {
          keys.add(key);
        }
      });
      heldBefore.keySet().forEach(key -> {
        if (!heldOut.containsKey(key)) {
          keys.add(key);
        }
      });
    }
    List<BookTranslation> changed = new ArrayList<>(keys.size());
    List<String> gone = new ArrayList<>();
    for (String key : keys) {
      int slash = key.indexOf('/');
      BookTranslation t = slash < 0 ? null : translation.book(key.substring(0, slash), key.substring(slash + 1));
      if (t == null) {
        gone.add(key);
      } else {
        logRejected(t);
        changed.add(t);
      }
    }
    statusWrites.offerChanged(changed, gone);
  }

  private static void logRejected(BookTranslation t) {
    if (t instanceof BookTranslation.Rejected r) {
      log.warn("event=book_rejected book={}/{} reason=\"{}\"", r.namespace(), r.name(), r.reason().replace('"', '\''));
    }
  }

  /** Milliseconds with one decimal, for the log. */
  private static String millis(long nanos) {
    return String.format(java.util.Locale.ROOT, "%.1f", nanos / 1e6);
  }

  /**
   * The books to leave out: those Envoy refused ({@link Quarantine}) and new books waiting for their
   * first endpoints ({@link FirstEndpointsGate}). A book is new when this rebuild's changes name it
   * and the last input ({@code before}) did not have it (the first rebuild has no new books).
   */
  private Map<String, String> heldOut(GatewayInput sources, Map<String, BookSource> before, InputChanges changes, long now) {
    if (last.get() != null) {
      for (String key : changes.books()) {
        if (!before.containsKey(key)) {
          firstEndpoints.added(key, now);
        }
      }
    }
    Map<String, String> refused = quarantine.heldOut(sources);
    Map<String, String> waiting = firstEndpoints.holding(sources, now);
    if (graceRebuild != null) {
      graceRebuild.cancel(false);
      graceRebuild = null;
    }
    Duration expiry = firstEndpoints.nextExpiry(now);
    if (expiry != null) {
      graceRebuild = executor.schedule(debouncer::signal, expiry.toNanos() + 1, TimeUnit.NANOSECONDS);
    }
    if (waiting.isEmpty()) {
      return refused;
    }
    Map<String, String> both = new HashMap<>(waiting);
    both.putAll(refused);
    return both;
  }

  /** The book as the informer last saw it, or null when it is gone. */
  private ExternalBookDefinition cachedBook(String namespace, String name) {
    return books.getIndexer().getByKey(namespace + "/" + name);
  }

  /** What is published and what NACKs are attributed against must be the same resources. */
  private Translation filtered(Translation translation) {
    XdsResources output = outputFilter.apply(translation.resources());
    return output == translation.resources() ? translation : new Translation(output, translation.books());
  }

  @Override
  public void close() {
    if (books != null) {
      books.close();
    }
    if (slices != null) {
      slices.close();
    }
    if (jwksObject != null) {
      jwksObject.close();
    }
    if (edgeTlsSecret != null) {
      edgeTlsSecret.close();
    }
    executor.shutdownNow();
    statusWrites.close();
  }
}
