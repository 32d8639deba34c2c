package io.voyager.bdk.xds.watch;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.xds.model.BookSource;
import io.voyager.bdk.xds.model.EndpointSliceView;
import io.voyager.bdk.xds.model.PersistentMap;
import io.voyager.bdk.xds.model.PortNumbers;
import io.voyager.bdk.xds.model.ServiceKey;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The watched books and EndpointSlices as the translator's model, kept across rebuilds: the books
 * by key ({@code namespace/name}; being deleted = absent) and the slices by Service, sorted by name,
 * both {@link PersistentMap persistent maps}. A rebuild {@link #update updates} them for the keys
 * the informers named — reading each from the informer cache — so a change costs the changed keys,
 * not a walk over every book and slice; {@link #reload} reads everything again (the first rebuild,
 * global changes, after a failed rebuild). Either way the maps are the same for the same cache
 * (what {@code WatchedInputsTest} checks). A slice is converted once per resourceVersion. Rebuild
 * thread only.
 */
final class WatchedInputs {
  private static final Logger log = LoggerFactory.getLogger(WatchedInputs.class);

  private record SliceEntry(String resourceVersion, EndpointSliceView view) {}

  private PersistentMap<String, BookSource> books = PersistentMap.empty();
  private PersistentMap<ServiceKey, List<EndpointSliceView>> slicesByService = PersistentMap.empty();
  /** Every slice seen by key {@code namespace/name}, with its view (null: it names no Service). */
  private Map<String, SliceEntry> slices = new HashMap<>();
  /** The slices of each Service by slice name: the sorted lists of {@link #slicesByService} are made from these. */
  private final Map<ServiceKey, TreeMap<String, EndpointSliceView>> byService = new HashMap<>();

  PersistentMap<String, BookSource> books() {
    return books;
  }

  PersistentMap<ServiceKey, List<EndpointSliceView>> slices() {
    return slicesByService;
  }

  /** Everything read again from {@code allBooks} and {@code allSlices} (the informer caches). */
  void reload(Collection<ExternalBookDefinition> allBooks, Collection<EndpointSlice> allSlices) {
    PersistentMap.Editor<String, BookSource> bookEditor = PersistentMap.<String, BookSource>empty().edit();
    for (ExternalBookDefinition ebd : allBooks) {
      BookSource source = sourceOf(ebd);
      if (source != null) {
        bookEditor.put(source.key(), source);
      }
    }
    books = bookEditor.done();
    Map<String, SliceEntry> seen = new HashMap<>();
    byService.clear();
    for (EndpointSlice slice : allSlices) {
      SliceEntry entry = entryOf(slice);
      seen.put(keyOf(slice), entry);
      if (entry.view() != null) {
        byService.computeIfAbsent(entry.view().service(), k -> new TreeMap<>()).put(entry.view().name(), entry.view());
      }
    }
    slices = seen;
    PersistentMap.Editor<ServiceKey, List<EndpointSliceView>> sliceEditor =
        PersistentMap.<ServiceKey, List<EndpointSliceView>>empty().edit();
    byService.forEach((service, views) -> sliceEditor.put(service, List.copyOf(views.values())));
    slicesByService = sliceEditor.done();
  }

  /**
   * The books {@code bookKeys} and slices {@code sliceKeys} read again through {@code bookCache}
   * and {@code sliceCache} (null: gone); returns the Services whose slices changed, including the
   * one a slice moved away from.
   */
  Set<ServiceKey> update(Set<String> bookKeys, Set<String> sliceKeys,
      Function<String, ExternalBookDefinition> bookCache, Function<String, EndpointSlice> sliceCache) {
    if (!bookKeys.isEmpty()) {
      PersistentMap.Editor<String, BookSource> editor = books.edit();
      for (String key : bookKeys) {
        BookSource source = sourceOf(bookCache.apply(key));
        if (source == null) {
          editor.remove(key);
        } else {
          editor.put(key, source);
        }
      }
      books = editor.done();
    }
    Set<ServiceKey> touched = new HashSet<>();
    for (String key : sliceKeys) {
      SliceEntry before = slices.get(key);
      EndpointSlice slice = sliceCache.apply(key);
      SliceEntry after = slice == null ? null : entryOf(slice);
      if (before == after) {
        continue;
      }
      if (before != null && before.view() != null) {
        ServiceKey service = before.view().service();
        TreeMap<String, EndpointSliceView> views = byService.get(service);
        if (views != null && views.remove(before.view().name()) != null) {
          touched.add(service);
          if (views.isEmpty()) {
            byService.remove(service);
          }
        }
      }
      if (after == null) {
        slices.remove(key);
      } else {
        slices.put(key, after);
        if (after.view() != null) {
          byService.computeIfAbsent(after.view().service(), k -> new TreeMap<>()).put(after.view().name(), after.view());
          touched.add(after.view().service());
        }
      }
    }
    if (!touched.isEmpty()) {
      PersistentMap.Editor<ServiceKey, List<EndpointSliceView>> editor = slicesByService.edit();
      for (ServiceKey service : touched) {
        TreeMap<String, EndpointSliceView> views = byService.get(service);
        if (views == null) {
          editor.remove(service);
        } else {
          editor.put(service, List.copyOf(views.values()));
        }
      }
      slicesByService = editor.done();
    }
    return touched;
  }

  /** The book's model, or null when it is gone or being deleted (its routes go at once). */
  private static BookSource sourceOf(ExternalBookDefinition ebd) {
    return ebd == null || ebd.getMetadata().getDeletionTimestamp() != null ? null : KubeViews.book(ebd);
  }

  static String keyOf(EndpointSlice slice) {
    return slice.getMetadata().getNamespace() + "/" + slice.getMetadata().getName();
  }

  /** The slice's view, reused while its resourceVersion is the one converted last. */
  private SliceEntry entryOf(EndpointSlice slice) {
    String rv = String.valueOf(slice.getMetadata().getResourceVersion());
    SliceEntry cached = slices.get(keyOf(slice));
    if (cached != null && cached.resourceVersion().equals(rv)) {
      return cached;
    }
    SliceEntry entry = new SliceEntry(rv, KubeViews.slice(slice));
    logInvalidPorts(entry.view());
    return entry;
  }

  /** Once per slice version: which ports route nowhere and why (the resolver drops them). */
  private static void logInvalidPorts(EndpointSliceView view) {
    if (view == null) {
      return;
    }
    for (EndpointSliceView.Port port : view.invalidPorts()) {
      log.warn("event=slice_port_ignored slice={}/{} service={} port_name={} port={} reason=\"ports[].port: {}\"",
          view.namespace(), view.name(), view.service(), port.name(), port.port(), PortNumbers.NOT_A_PORT);
    }
  }
}
