package io.voyager.bdk.library;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.function.Predicate;

/** One page of a sorted listing, and whether more items follow it. */
record Page<T>(List<T> items, boolean more) {

  /** Up to {@code limit} values of {@code sorted}, in order. */
  static <K, T> Page<T> of(NavigableMap<K, T> sorted, int limit) {
    return of(sorted, limit, t -> true);
  }

  /**
   * Up to {@code limit} values of {@code sorted} that pass {@code filter}, in order; {@code more}
   * only when a further value passes it. So a filtered list has no short page but its last, no
   * empty page promising more, and a page token (the last key served) continues exactly after it.
   * Skipped values cost a comparison each; the scan stops at the first passing value beyond the page.
   */
  static <K, T> Page<T> of(NavigableMap<K, T> sorted, int limit, Predicate<T> filter) {
    List<T> items = new ArrayList<>(Math.min(limit, 128));
    for (Map.Entry<K, T> e : sorted.entrySet()) {
      if (!filter.test(e.getValue())) {
        continue;
      }
      if (items.size() == limit) {
        return new Page<>(items, true);
      }
      items.add(e.getValue());
    }
    return new Page<>(items, false);
  }
}
