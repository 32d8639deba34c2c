package io.voyager.bdk.xds.translate;

import static io.voyager.bdk.xds.Fixtures.ready;
import static io.voyager.bdk.xds.Fixtures.slice;
import static io.voyager.bdk.xds.Fixtures.webhook;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.controlplane.cache.VersionedResource;
import io.voyager.bdk.model.ExternalBookDefinitionSpec;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.ExternalIntegration;
import io.voyager.bdk.xds.Fixtures;
import io.voyager.bdk.xds.model.BookSource;
import io.voyager.bdk.xds.model.EndpointSliceView;
import io.voyager.bdk.xds.model.GatewayInput;
import io.voyager.bdk.xds.model.GatewaySettings;
import io.voyager.bdk.xds.model.InputChanges;
import io.voyager.bdk.xds.model.JwksDocument;
import io.voyager.bdk.xds.model.ServiceKey;
import io.voyager.bdk.xds.version.ContentVersionedSnapshot;
import io.voyager.bdk.xds.version.XdsType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * Property: random sequences of single changes (a book's webhooks changed, its endpoints changed,
 * a book added, removed, held out or released, several at once; some books share a Service) give,
 * incrementally, exactly what a from-scratch translation gives: the same resources, and snapshots
 * built on the previous one ({@link ContentVersionedSnapshot#next}) with the same resource
 * versions, type versions and summary as snapshots built afresh, and changes equal to a full
 * comparison of the two snapshots. Both route layouts. Two incremental translators: one told
 * nothing ({@link InputChanges#EVERYTHING}: it walks every book), one told only the keys of the
 * books and Services that changed, as the watcher tells it — sometimes too broadly (keys that did
 * not change, or that never existed), and with global changes (the JWKS read or not, or the
 * watcher saying it cannot tell).
 */
class IncrementalEqualsFullPropertyTest {
  static final int STEPS = 100;

  final List<BookSource> books = new ArrayList<>();
  final Map<ServiceKey, List<EndpointSliceView>> slices = new HashMap<>();
  final Map<String, String> heldOut = new HashMap<>();
  final Set<String> changedBooks = new HashSet<>();
  final Set<ServiceKey> changedServices = new HashSet<>();
  int next;
  String relayAddress = "10.0.0.9";

  /** Both layouts, each with and without queued delivery (the relay's cluster, the internal listener and route configuration). */
  @ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource({"SINGLE,false", "SCOPED,false", "SINGLE,true", "SCOPED,true"})
  void incrementalTranslationsAndSnapshotsEqualFromScratchOnes(RouteLayout layout, boolean queued) {
    GatewaySettings settings = queued
        ? GatewayTranslatorTest.SETTINGS.withQueuedDelivery(QueuedDeliveryTranslationTest.QUEUED) : GatewayTranslatorTest.SETTINGS;
    XdsTranslator xds = new XdsTranslator(settings.transcoder(), layout);
    for (long seed : new long[] {1, 42}) {
      books.clear();
      slices.clear();
      heldOut.clear();
      Random random = new Random(seed);
      for (int n = 0; n < 5; n++) {
        for (int k = 0; k < 2; k++) {
          slices.put(new ServiceKey("customer-" + n, "shared-" + k),
              List.of(slice("customer-" + n, "shared-" + k, "http", 8080, ready("10.3." + n + "." + k))));
        }
      }
      for (int i = 0; i < 12; i++) {
        addBook(random);
      }
      IncrementalTranslator incremental = new IncrementalTranslator(xds);
      IncrementalTranslator byChanges = new IncrementalTranslator(xds);
      boolean jwksRead = true;
      GatewayTranslator full = new GatewayTranslator(xds);
      ContentVersionedSnapshot chained = null;
      for (int step = 0; step < STEPS; step++) {
        int changes = random.nextInt(10) == 0 ? 1 + random.nextInt(4) : 1;
        changedBooks.clear();
        changedServices.clear();
        for (int c = 0; c < changes; c++) {
          change(random);
        }
        if (random.nextInt(5) == 0) { // too broad: unchanged books and Services, and ones that never existed
          BookSource any = books.isEmpty() ? null : books.get(random.nextInt(books.size()));
          if (any != null) {
            changedBooks.add(any.key());
            changedServices.add(new ServiceKey(any.namespace(), any.name()));
          }
          changedBooks.add("customer-9/never-" + step);
          changedServices.add(new ServiceKey("customer-9", "never-" + step));
        }
        boolean saysGlobal = random.nextInt(15) == 0;
        boolean jwksToggled = random.nextInt(15) == 0;
        if (jwksToggled) { // a global input, noticed without being named
          jwksRead = !jwksRead;
        }
        Map<ServiceKey, List<EndpointSliceView>> all = new HashMap<>(GatewayTranslatorTest.CORE_SLICES);
        if (queued) { // the relay's endpoints move now and then: a shared backend's change
          relayAddress = random.nextInt(8) == 0 ? (relayAddress.equals("10.0.0.9") ? "10.0.0.10" : "10.0.0.9") : relayAddress;
          all.put(new ServiceKey("bdk", "webhook-relay"), List.of(slice("bdk", "webhook-relay", "http", 18040, ready(relayAddress))));
        }
        all.putAll(slices);
        GatewayInput input = new GatewayInput(settings, books, all, heldOut)
            .withJwks(jwksRead ? Fixtures.JWKS : JwksDocument.NOT_READ);
        Translation fromScratch = full.translate(input);
        Translation translated = incremental.translate(input);
        String at = "seed " + seed + " step " + step;
        assertThat(translated.resources()).as(at).isEqualTo(fromScratch.resources());
        assertThat(translated.books()).as(at).isEqualTo(fromScratch.books());
        Translation told = byChanges.translate(input, saysGlobal ? InputChanges.EVERYTHING
            : InputChanges.of(changedBooks, changedServices));
        assertThat(told.resources()).as(at + " by changed keys").isEqualTo(fromScratch.resources());
        assertThat(told.books()).as(at + " by changed keys").isEqualTo(fromScratch.books());
        if (step > 0 && !saysGlobal && !jwksToggled && changedBooks.size() == 1 && changes == 1) {
          assertThat(byChanges.lastVisitedBooks()).as(at + " books visited").isLessThanOrEqualTo(1);
        }

        ContentVersionedSnapshot previous = chained;
        chained = ContentVersionedSnapshot.next(previous, translated.resources());
        ContentVersionedSnapshot afresh = ContentVersionedSnapshot.of(fromScratch.resources());
        assertThat(chained.summaryVersion()).as(at).isEqualTo(afresh.summaryVersion());
        for (XdsType type : XdsType.values()) {
          assertThat(versions(chained, type)).as(at + " " + type).isEqualTo(versions(afresh, type));
          assertThat(chained.version(type)).as(at + " " + type).isEqualTo(afresh.version(type));
          Map<String, String> before = previous == null ? Map.of() : versions(previous, type);
          Map<String, String> after = versions(chained, type);
          TreeSet<String> changed = new TreeSet<>();
          after.forEach((name, version) -> {
            if (!version.equals(before.get(name))) {
              changed.add(name);
            }
          });
          TreeSet<String> removed = new TreeSet<>(before.keySet());
          removed.removeAll(after.keySet());
          assertThat(chained.changes(type).changed()).as(at + " changed " + type).containsExactlyElementsOf(changed);
          assertThat(chained.changes(type).removed()).as(at + " removed " + type).containsExactlyElementsOf(removed);
        }
        assertThat(chained.builtOn(previous)).isEqualTo(previous != null);
      }
    }
  }

  static Map<String, String> versions(ContentVersionedSnapshot snapshot, XdsType type) {
    Map<String, String> versions = new TreeMap<>();
    for (Map.Entry<String, VersionedResource<?>> e : snapshot.resources(type).entrySet()) {
      versions.put(e.getKey(), e.getValue().version());
    }
    return versions;
  }

  /**
   * A book whose Service is its own, or (one in three) one of two Services other books of its
   * namespace share: a cluster several books use, kept while any of them does.
   */
  private static BookSource book(Random random, String namespace, String name, ExternalIntegration... integrations) {
    ExternalBookDefinitionSpec.ServiceRef service = random.nextInt(3) == 0
        ? new ExternalBookDefinitionSpec.ServiceRef("shared-" + random.nextInt(2), 8080) : null;
    return new BookSource(namespace, name, new ExternalBookDefinitionSpec("customer-support", "1.2.0",
        List.of(integrations), null, null, null, service, null, null));
  }

  private static ServiceKey serviceOf(BookSource book) {
    return new ServiceKey(book.namespace(), book.spec().service() == null ? book.name() : book.spec().service().name());
  }

  private void change(Random random) {
    int kind = books.isEmpty() ? 2 : random.nextInt(6);
    int index = books.isEmpty() ? 0 : random.nextInt(books.size());
    switch (kind) {
      case 0 -> { // the book's webhooks
        BookSource b = books.get(index);
        books.set(index, book(random, b.namespace(), b.name(), webhooks(random)));
        changedBooks.add(b.key());
      }
      case 1 -> { // its endpoints
        BookSource b = books.get(index);
        ServiceKey service = serviceOf(b);
        slices.put(service, List.of(slice(service.namespace(), service.name(), "http", 8080,
            ready("10.1." + random.nextInt(4) + "." + random.nextInt(4)))));
        changedServices.add(service);
      }
      case 2 -> addBook(random);
      case 3 -> {
        BookSource gone = books.remove(index);
        if (gone.spec().service() == null) { // a shared Service's endpoints stay for the other books
          slices.remove(serviceOf(gone));
          changedServices.add(serviceOf(gone));
        }
        heldOut.remove(gone.key());
        changedBooks.add(gone.key());
      }
      case 4 -> { // held out, or released
        String key = books.get(index).key();
        if (heldOut.remove(key) == null) {
          heldOut.put(key, "Envoy rejected its configuration");
        }
      }
      default -> { // its endpoints go away, or come back
        BookSource b = books.get(index);
        ServiceKey service = serviceOf(b);
        if (slices.remove(service) == null) {
          slices.put(service, List.of(slice(service.namespace(), service.name(), "http", 8080, ready("10.2.0.1"))));
        }
        changedServices.add(service);
      }
    }
  }

  private void addBook(Random random) {
    int n = next++;
    String namespace = "customer-" + (n % 5);
    String name = "book-" + n;
    // Inserted anywhere: the order of the input must not matter.
    books.add(books.isEmpty() ? 0 : random.nextInt(books.size() + 1), book(random, namespace, name, webhooks(random)));
    slices.put(new ServiceKey(namespace, name), List.of(slice(namespace, name, "http", 8080, ready("10.0.0." + (n % 250)))));
    changedBooks.add(namespace + "/" + name);
    changedServices.add(new ServiceKey(namespace, name));
  }

  private static ExternalIntegration[] webhooks(Random random) {
    List<ExternalIntegration> hooks = new ArrayList<>();
    if (random.nextBoolean()) {
      hooks.add(webhook("github", "github"));
    }
    if (random.nextInt(3) == 0) {
      hooks.add(webhook("slack", "slack"));
    }
    if (random.nextInt(4) == 0) {
      hooks.add(webhook("stripe" + random.nextInt(3), "stripe"));
    }
    if (random.nextInt(3) == 0) { // a queued binding: its delivery route is in the internal route configuration
      hooks.add(QueuedDeliveryTranslationTest.queued("queued" + random.nextInt(2), null));
    }
    return hooks.toArray(ExternalIntegration[]::new);
  }
}
