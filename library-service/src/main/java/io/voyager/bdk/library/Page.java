package io.voyager.bdk.library;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;

/** One page of a sorted listing, and whether more items follow it. */
record Page<T>(List<T> items, boolean more) {

  /** Up to {@code limit} values of {@code sorted}, in order. */
  static <K, T> Page<T> of(NavigableMap<K, T> sorted, int limit) {
    List<T> items = new ArrayList<>(Math.min(limit, 128));
    for (Map.Entry<K, T> e : sorted.entrySet()) {
      if (items.size() == limit) {
        return new Page<>(items, true);
      }
      items.add(e.getValue());
    }
    return new Page<>(items, false);
  }
}
