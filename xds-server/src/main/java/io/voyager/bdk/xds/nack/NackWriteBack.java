package io.voyager.bdk.xds.nack;

import io.voyager.bdk.xds.server.XdsAckListener;
import io.voyager.bdk.xds.translate.Translation;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Envoy's NACKs written back to the ExternalBookDefinitions that caused them. On a NACK the
 * culprits are found in the last translation ({@link NackAttribution}) and get
 * {@code Accepted=False} with Envoy's error; once an Envoy ACKs a later version of that resource
 * type they get {@code Accepted=True} again. A NACK with no culprit is only reported (on
 * {@code /debug/sync}, by the SyncTracker). Work runs on one background thread so the xDS stream
 * threads never wait for the API server.
 */
public final class NackWriteBack implements XdsAckListener, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NackWriteBack.class);
  public static final int MAX_MESSAGE_CHARS = 1024;

  private final Supplier<Translation> lastTranslation;
  private final BiFunction<NackAttribution.BookRef, String, Boolean> writer;
  private final ExecutorService executor;
  /** Per type URL: the rejected version and the books blamed for it. Touched only on {@link #executor}. */
  private final Map<String, Rejection> rejections = new TreeMap<>();
  private volatile Map<String, Set<String>> culpritsByType = Map.of();
  /** Per type URL: "version\nerror" of the last NACK seen, to skip repeats on the stream threads. */
  private final Map<String, String> lastNack = new java.util.concurrent.ConcurrentHashMap<>();

  private record Rejection(String version, Set<NackAttribution.BookRef> books) {}

  /** {@code writer(book, message)} sets the condition: message null = accepted. */
  public NackWriteBack(Supplier<Translation> lastTranslation, BiFunction<NackAttribution.BookRef, String, Boolean> writer) {
    this(lastTranslation, writer, Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "xds-nack-write-back");
      t.setDaemon(true);
      return t;
    }));
  }

  NackWriteBack(Supplier<Translation> lastTranslation, BiFunction<NackAttribution.BookRef, String, Boolean> writer,
      ExecutorService executor) {
    this.lastTranslation = lastTranslation;
    this.writer = writer;
    this.executor = executor;
  }

  public static NackWriteBack writingTo(AcceptedConditionWriter conditions, Supplier<Translation> lastTranslation) {
    return new NackWriteBack(lastTranslation, conditions::write);
  }

  @Override
  public void onNack(String node, String typeUrl, String rejectedVersion, String error) {
    // Envoy repeats a NACK for every request of that type (EDS: per cluster, in bursts): one is enough.
    if (!(rejectedVersion + "\n" + error).equals(lastNack.put(typeUrl, rejectedVersion + "\n" + error))) {
      executor.execute(() -> attribute(node, typeUrl, rejectedVersion, error));
    }
  }

  private void attribute(String node, String typeUrl, String rejectedVersion, String error) {
    Set<NackAttribution.BookRef> culprits = NackAttribution.culprits(error, lastTranslation.get());
    Rejection previous = rejections.get(typeUrl);
    Set<NackAttribution.BookRef> blamed = new TreeSet<>(culprits);
    if (previous != null && java.util.Objects.equals(previous.version(), rejectedVersion)) {
      blamed.addAll(previous.books());
    }
    rejections.put(typeUrl, new Rejection(rejectedVersion, blamed));
    publish();
    if (culprits.isEmpty()) {
      log.warn("event=nack_unattributed node={} type={} version={}", node, shortType(typeUrl), rejectedVersion);
      return;
    }
    String message = NackAttribution.conditionMessage(error, MAX_MESSAGE_CHARS);
    log.warn("event=nack_attributed node={} type={} version={} books={}", node, shortType(typeUrl), rejectedVersion, culprits);
    culprits.forEach(book -> writer.apply(book, message));
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
        if (!stillBlamed.contains(book)) {
          writer.apply(book, null);
        }
      }
      log.info("event=nack_cleared type={} version={} books={}", shortType(typeUrl), version, rejection.books());
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
