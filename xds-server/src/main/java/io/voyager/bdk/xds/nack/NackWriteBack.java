package io.voyager.bdk.xds.nack;

import io.voyager.bdk.model.Conditions;
import io.voyager.bdk.xds.server.XdsAckListener;
import io.voyager.bdk.xds.translate.PublishedTranslation;
import io.voyager.bdk.xds.translate.Translation;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Envoy's NACKs written back to the ExternalBookDefinitions that caused them. On a NACK the
 * culprits are found in the translation that produced the rejected version (the last one when it
 * is no longer remembered; {@link NackAttribution}) and get {@code Accepted=False} with Envoy's
 * error; once an Envoy ACKs a later version of that resource type they get {@code Accepted=True}
 * again. A NACK with no culprit is only reported (on {@code /debug/sync}, by the SyncTracker).
 *
 * <p>With a {@link Quarantine}: when the NACK names its culprits unambiguously and the rejected
 * version's translation is known, each culprit is held out for the inputs that produced it and a
 * rebuild is requested, so the next snapshot carries only what Envoy accepts and every other
 * book's changes flow again. A held-out book stays {@code Accepted=False} (saying it is held out
 * until its resources change) through later ACKs; released and accepted by Envoy, it gets
 * {@code Accepted=True}. Ambiguous NACKs keep the plain hold (the rejected version is not re-sent).
 *
 * <p>Work runs on one background thread so the xDS stream threads never wait for the API server.
 */
public final class NackWriteBack implements XdsAckListener, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NackWriteBack.class);

  /**
   * How NACKs reach the quarantine: {@code served(typeUrl, version)} finds the translation that
   * produced a version; {@code rebuild} asks for a debounced rebuild after a book was held out.
   */
  public record Quarantining(
      Quarantine quarantine, BiFunction<String, String, Optional<PublishedTranslation>> served, Runnable rebuild) {
    /** Nothing is ever held out: NACKs are held and written back only. */
    static Quarantining none() {
      return new Quarantining(new Quarantine(), (type, version) -> Optional.empty(), () -> {});
    }
  }

  private final Supplier<Translation> lastTranslation;
  private final BiFunction<NackAttribution.BookRef, String, Boolean> writer;
  private final Quarantining quarantining;
  private final ExecutorService executor;
  /** Per type URL: the rejected version and the books blamed for it. Touched only on {@link #executor}. */
  private final Map<String, Rejection> rejections = new TreeMap<>();
  private volatile Map<String, Set<String>> culpritsByType = Map.of();
  /** Per type URL: "version\nerror" of the last NACK seen, to skip repeats on the stream threads. */
  private final Map<String, String> lastNack = new ConcurrentHashMap<>();

  private record Rejection(String version, Set<NackAttribution.BookRef> books) {}

  /** {@code writer(book, message)} sets the condition: message null = accepted. */
  public NackWriteBack(Supplier<Translation> lastTranslation, BiFunction<NackAttribution.BookRef, String, Boolean> writer) {
    this(lastTranslation, writer, Quarantining.none());
  }

  /** As above, holding unambiguous culprits out of the gateway. */
  public NackWriteBack(Supplier<Translation> lastTranslation, BiFunction<NackAttribution.BookRef, String, Boolean> writer,
      Quarantining quarantining) {
    this(lastTranslation, writer, quarantining, Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "xds-nack-write-back");
      t.setDaemon(true);
      return t;
    }));
  }

  NackWriteBack(Supplier<Translation> lastTranslation, BiFunction<NackAttribution.BookRef, String, Boolean> writer,
      ExecutorService executor) {
    this(lastTranslation, writer, Quarantining.none(), executor);
  }

  NackWriteBack(Supplier<Translation> lastTranslation, BiFunction<NackAttribution.BookRef, String, Boolean> writer,
      Quarantining quarantining, ExecutorService executor) {
    this.lastTranslation = lastTranslation;
    this.writer = writer;
    this.quarantining = quarantining;
    this.executor = executor;
  }

  public static NackWriteBack writingTo(AcceptedConditionWriter conditions, Supplier<Translation> lastTranslation,
      Quarantining quarantining) {
    return new NackWriteBack(lastTranslation, conditions::write, quarantining);
  }

  @Override
  public void onNack(String node, String typeUrl, String rejectedVersion, String error) {
    // Envoy repeats a NACK for every request of that type (EDS: per cluster, in bursts): one is enough.
    if (!(rejectedVersion + "\n" + error).equals(lastNack.put(typeUrl, rejectedVersion + "\n" + error))) {
      executor.execute(() -> attribute(node, typeUrl, rejectedVersion, error));
    }
  }

  private void attribute(String node, String typeUrl, String rejectedVersion, String error) {
    Optional<PublishedTranslation> rejected = quarantining.served().apply(typeUrl, rejectedVersion);
    NackAttribution.Attribution attribution = NackAttribution.attribute(error,
        rejected.map(PublishedTranslation::translation).orElseGet(lastTranslation));
    Set<NackAttribution.BookRef> culprits = attribution.culprits();
    Rejection previous = rejections.get(typeUrl);
    Set<NackAttribution.BookRef> blamed = new TreeSet<>(culprits);
    if (previous != null && Objects.equals(previous.version(), rejectedVersion)) {
      blamed.addAll(previous.books());
    }
    rejections.put(typeUrl, new Rejection(rejectedVersion, blamed));
    publish();
    if (culprits.isEmpty()) {
      log.warn("event=nack_unattributed node={} type={} version={}", node, shortType(typeUrl), rejectedVersion);
      return;
    }
    String message = NackAttribution.conditionMessage(error, Conditions.MAX_MESSAGE);
    log.warn("event=nack_attributed node={} type={} version={} books={} unambiguous={} translation_known={}", node,
        shortType(typeUrl), rejectedVersion, culprits, attribution.unambiguous(), rejected.isPresent());
    boolean heldOutChanged = false;
    for (NackAttribution.BookRef book : culprits) {
      Optional<BookInputs> inputs = attribution.unambiguous()
          ? rejected.flatMap(published -> BookInputs.of(book, published))
          : Optional.empty();
      if (inputs.isPresent()) {
        heldOutChanged |= quarantining.quarantine().hold(book, inputs.get(), typeUrl, message);
        writer.apply(book, Quarantine.heldOutMessage(message));
      } else {
        writer.apply(book, message);
      }
    }
    if (heldOutChanged) {
      quarantining.rebuild().run();
    }
  }

  @Override
  public void onAck(String node, String typeUrl, String version, List<String> resourceNames) {
    if (quarantining.quarantine().hasBooksOnTrial()) {
      List<String> names = List.copyOf(resourceNames);
      executor.execute(() -> confirmReleased(typeUrl, version, names));
    }
    onAck(node, typeUrl, version);
  }

  @Override
  public void onAck(String node, String typeUrl, String version) {
    String nack = lastNack.get(typeUrl);
    if (nack == null || nack.startsWith(version + "\n")) {
      return; // nothing rejected, or an Envoy acking the very version another one rejected
    }
    lastNack.remove(typeUrl, nack);
    executor.execute(() -> {
      Rejection rejection = rejections.get(typeUrl);
      if (rejection == null || rejection.version() == null || rejection.version().equals(version)) {
        return;
      }
      rejections.remove(typeUrl);
      publish();
      Set<NackAttribution.BookRef> stillBlamed = new TreeSet<>();
      rejections.values().forEach(r -> stillBlamed.addAll(r.books()));
      for (NackAttribution.BookRef book : rejection.books()) {
        // a held-out book's config is not in what Envoy accepted: it stays Accepted=False
        if (!stillBlamed.contains(book) && !quarantining.quarantine().isHeld(book)) {
          writer.apply(book, null);
        }
      }
      log.info("event=nack_cleared type={} version={} books={}", shortType(typeUrl), version, rejection.books());
    });
  }

  /**
   * Released books Envoy has now taken are Accepted again: the ACKed version's translation routes
   * them and the ACKed response carried their resources ({@code resourceNames}, empty = all).
   */
  private void confirmReleased(String typeUrl, String version, List<String> resourceNames) {
    quarantining.served().apply(typeUrl, version).ifPresent(acked -> {
      for (NackAttribution.BookRef book
          : quarantining.quarantine().confirmedBy(typeUrl, acked.translation(), Set.copyOf(resourceNames))) {
        log.info("event=quarantine_retry_accepted book={} type={} version={}", book, shortType(typeUrl), version);
        writer.apply(book, null);
      }
    });
  }

  /** Books blamed for the current rejection of each type (short type name → namespace/name). */
  public Map<String, Set<String>> culprits() {
    return culpritsByType;
  }

  private void publish() {
    Map<String, Set<String>> view = new TreeMap<>();
    rejections.forEach((type, r) -> {
      Set<String> names = new TreeSet<>();
      r.books().forEach(b -> names.add(b.toString()));
      view.put(shortType(type), names);
    });
    culpritsByType = Map.copyOf(view);
  }

  private static String shortType(String typeUrl) {
    int dot = typeUrl.lastIndexOf('.');
    return dot < 0 ? typeUrl : typeUrl.substring(dot + 1);
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }

}
