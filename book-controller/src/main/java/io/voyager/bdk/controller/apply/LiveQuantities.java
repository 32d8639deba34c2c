package io.voyager.bdk.controller.apply;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.LimitRange;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.LimitRangeItem;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.voyager.bdk.model.Quantities;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

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

  /**
   * A Deployment's container requests and limits, by container name: an instance's
   * {@code cpu: "0.5"} is stored as {@code 500m} and must not be rewritten on every reconcile.
   */
  public static Deployment inContainers(Deployment want, Deployment live) {
    List<Container> wanted = containers(want);
    List<Container> lives = containers(live);
    for (Container w : wanted) {
      lives.stream().filter(l -> w.getName() != null && w.getName().equals(l.getName())).findFirst().ifPresent(l -> {
        if (w.getResources() != null && l.getResources() != null) {
          w.getResources().setRequests(same(w.getResources().getRequests(), l.getResources().getRequests()));
          w.getResources().setLimits(same(w.getResources().getLimits(), l.getResources().getLimits()));
        }
      });
    }
    return want;
  }

  private static List<Container> containers(Deployment d) {
    if (d.getSpec() == null || d.getSpec().getTemplate() == null || d.getSpec().getTemplate().getSpec() == null
        || d.getSpec().getTemplate().getSpec().getContainers() == null) {
      return List.of();
    }
    return d.getSpec().getTemplate().getSpec().getContainers();
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
      if (!Objects.equals(w.getType(), l.getType())) {
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
