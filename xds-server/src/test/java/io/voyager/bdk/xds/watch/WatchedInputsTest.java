package io.voyager.bdk.xds.watch;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.xds.Fixtures;
import io.voyager.bdk.xds.model.EndpointSliceView;
import io.voyager.bdk.xds.model.ServiceKey;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The watcher's inputs updated by the keys the informers name equal the inputs read afresh from the
 * whole cache: books added, changed, removed and being deleted; slices added, changed, removed,
 * moving between Services and losing their Service label; relists that replace much of the cache.
 */
class WatchedInputsTest {
  private final Random random = new Random(2026);
  private final Map<String, ExternalBookDefinition> bookCache = new HashMap<>();
  private final Map<String, EndpointSlice> sliceCache = new HashMap<>();
  private int resourceVersion;

  @Test
  void updatesByKeyEqualAFullReload() {
    WatchedInputs incremental = new WatchedInputs();
    incremental.reload(bookCache.values(), sliceCache.values());
    for (int step = 0; step < 400; step++) {
      Set<String> books = new HashSet<>();
      Set<String> slices = new HashSet<>();
      Set<ServiceKey> named = new HashSet<>();
      int edits = step % 50 == 49 ? 200 : 1 + random.nextInt(4); // now and then a relist: many keys at once
      for (int i = 0; i < edits; i++) {
        if (random.nextBoolean()) {
          books.add(editBook());
        } else {
          slices.add(editSlice(named));
        }
      }
      Set<ServiceKey> touched = incremental.update(books, slices, bookCache::get, sliceCache::get);
      WatchedInputs fresh = new WatchedInputs();
      fresh.reload(bookCache.values(), sliceCache.values());
      assertThat(incremental.books()).as("books after step %d", step).isEqualTo(fresh.books());
      assertThat(incremental.slices()).as("slices after step %d", step).isEqualTo(fresh.slices());
      // The Services the informer events name (each changed slice's before and after) cover every
      // Service whose slices changed.
      assertThat(named).as("services named after step %d", step).containsAll(touched);
    }
  }

  @Test
  void aSliceMovingToAnotherServiceLeavesTheFirstAndIsReported() {
    WatchedInputs inputs = new WatchedInputs();
    EndpointSlice slice = slice("customer-a", "s-1", "acme", "10.0.0.1");
    sliceCache.put("customer-a/s-1", slice);
    inputs.reload(bookCache.values(), sliceCache.values());
    assertThat(inputs.slices()).containsOnlyKeys(new ServiceKey("customer-a", "acme"));

    sliceCache.put("customer-a/s-1", slice("customer-a", "s-1", "shop", "10.0.0.1"));
    Set<ServiceKey> touched = inputs.update(Set.of(), Set.of("customer-a/s-1"), bookCache::get, sliceCache::get);

    assertThat(touched).containsExactlyInAnyOrder(new ServiceKey("customer-a", "acme"), new ServiceKey("customer-a", "shop"));
    assertThat(inputs.slices()).containsOnlyKeys(new ServiceKey("customer-a", "shop"));
  }

  @Test
  void aBookBeingDeletedLeavesTheInputAndAnEarlierInputKeepsIt() {
    WatchedInputs inputs = new WatchedInputs();
    ExternalBookDefinition book = GatewayWatcherTest.ebd("customer-a", "acme");
    bookCache.put("customer-a/acme", book);
    inputs.reload(bookCache.values(), sliceCache.values());
    var before = inputs.books();

    ExternalBookDefinition deleting = GatewayWatcherTest.ebd("customer-a", "acme");
    deleting.getMetadata().setDeletionTimestamp("2026-12-06T10:00:00Z");
    bookCache.put("customer-a/acme", deleting);
    inputs.update(Set.of("customer-a/acme"), Set.of(), bookCache::get, sliceCache::get);

    assertThat(inputs.books()).isEmpty();
    assertThat(before).as("the input an earlier translation was made from").containsOnlyKeys("customer-a/acme");
  }

  /** A random edit of a book; returns its key. */
  private String editBook() {
    String ns = "customer-" + random.nextInt(4);
    String name = "book-" + random.nextInt(12);
    String key = ns + "/" + name;
    switch (random.nextInt(4)) {
      case 0 -> bookCache.remove(key);
      case 1 -> {
        ExternalBookDefinition book = GatewayWatcherTest.ebd(ns, name);
        book.getMetadata().setDeletionTimestamp("2026-12-06T10:00:00Z");
        bookCache.put(key, book);
      }
      default -> {
        ExternalBookDefinition book = GatewayWatcherTest.ebd(ns, name);
        book.setSpec(Fixtures.book(ns, name, Fixtures.webhook("hook-" + random.nextInt(3), "github")).spec());
        bookCache.put(key, book);
      }
    }
    return key;
  }

  /** A random edit of a slice; returns its key and names, as the informer handler does, its Services before and after. */
  private String editSlice(Set<ServiceKey> named) {
    String ns = "customer-" + random.nextInt(4);
    String name = "slice-" + random.nextInt(15);
    String key = ns + "/" + name;
    EndpointSlice before = sliceCache.get(key);
    EndpointSlice after = switch (random.nextInt(5)) {
      case 0 -> null;
      case 1 -> slice(ns, name, null, "10.0.0." + random.nextInt(3)); // no Service label
      default -> slice(ns, name, "svc-" + random.nextInt(5), "10.0.0." + random.nextInt(3));
    };
    if (after == null) {
      sliceCache.remove(key);
    } else {
      sliceCache.put(key, after);
    }
    for (EndpointSlice s : new EndpointSlice[] {before, after}) {
      if (s != null && s.getMetadata().getLabels().get(KubeViews.SERVICE_NAME_LABEL) != null) {
        named.add(new ServiceKey(ns, s.getMetadata().getLabels().get(KubeViews.SERVICE_NAME_LABEL)));
      }
    }
    return key;
  }

  private EndpointSlice slice(String ns, String name, String service, String ip) {
    Map<String, String> labels = new HashMap<>();
    if (service != null) {
      labels.put(KubeViews.SERVICE_NAME_LABEL, service);
    }
    return new EndpointSliceBuilder()
        .withNewMetadata().withNamespace(ns).withName(name).withLabels(labels)
        .withResourceVersion(String.valueOf(++resourceVersion)).endMetadata()
        .withAddressType("IPv4")
        .addNewPort().withName("http").withPort(9000).endPort()
        .addNewEndpoint().withAddresses(ip).withNewConditions().withReady(random.nextBoolean()).endConditions().endEndpoint()
        .build();
  }

  @Test
  void slicesOfAServiceAreSortedByName() {
    WatchedInputs inputs = new WatchedInputs();
    inputs.reload(List.of(), List.of());
    sliceCache.put("customer-a/b", slice("customer-a", "b", "acme", "10.0.0.2"));
    sliceCache.put("customer-a/a", slice("customer-a", "a", "acme", "10.0.0.1"));
    inputs.update(Set.of(), Set.of("customer-a/b", "customer-a/a"), bookCache::get, sliceCache::get);
    assertThat(inputs.slices().get(new ServiceKey("customer-a", "acme"))).extracting(EndpointSliceView::name)
        .containsExactly("a", "b");
  }
}
