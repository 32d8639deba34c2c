package io.voyager.bdk.controller.apply;

import io.fabric8.kubernetes.api.model.LimitRange;
import io.fabric8.kubernetes.api.model.LimitRangeItem;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.voyager.bdk.model.Quantities;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The API server stores a quantity in its canonical form ({@code 0.5} comes back as {@code 500m},
 * {@code 1024Mi} as {@code 1Gi}); compared as text, a desired quantity written as the Organization
 * gave it would look like drift on every reconcile. These {@code keepFromLive} functions for
 * {@link ResourceApplier} take the live spelling of every quantity that is the same amount, so only
 * a real difference is written. Pure.
 */
public final class LiveQuantities {
  private LiveQuantities() {}

  public static ResourceQuota inQuota(ResourceQuota want, ResourceQuota live) {
    if (want.getSpec() != null && live.getSpec() != null) {
      want.getSpec().setHard(same(want.getSpec().getHard(), live.getSpec().getHard()));
    }
    return want;
  }

  public static LimitRange inLimitRange(LimitRange want, LimitRange live) {
    if (want.getSpec() == null || live.getSpec() == null || want.getSpec().getLimits() == null
        || live.getSpec().getLimits() == null || want.getSpec().getLimits().size() != live.getSpec().getLimits().size()) {
      return want;
    }
    List<LimitRangeItem> wanted = want.getSpec().getLimits();
    List<LimitRangeItem> lives = live.getSpec().getLimits();
    for (int i = 0; i < wanted.size(); i++) {
      LimitRangeItem w = wanted.get(i);
      LimitRangeItem l = lives.get(i);
      if (!java.util.Objects.equals(w.getType(), l.getType())) {
        continue;
      }
      w.setMax(same(w.getMax(), l.getMax()));
      w.setMin(same(w.getMin(), l.getMin()));
      w.setDefault(same(w.getDefault(), l.getDefault()));
      w.setDefaultRequest(same(w.getDefaultRequest(), l.getDefaultRequest()));
      w.setMaxLimitRequestRatio(same(w.getMaxLimitRequestRatio(), l.getMaxLimitRequestRatio()));
    }
    return want;
  }

  /** {@code want}, each value replaced by {@code live}'s for the same key when it is the same amount. */
  private static Map<String, Quantity> same(Map<String, Quantity> want, Map<String, Quantity> live) {
    if (want == null || live == null) {
      return want;
    }
    Map<String, Quantity> kept = new LinkedHashMap<>();
    want.forEach((key, value) -> {
      Quantity have = live.get(key);
      kept.put(key, have != null && Quantities.sameAmount(text(value), text(have)) ? have : value);
    });
    return kept;
  }

  private static String text(Quantity q) {
    return q.getAmount() + (q.getFormat() == null ? "" : q.getFormat());
  }
}
