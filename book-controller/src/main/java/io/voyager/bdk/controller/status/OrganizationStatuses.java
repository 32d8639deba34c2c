package io.voyager.bdk.controller.status;

import io.voyager.bdk.controller.desired.NamespaceClaims;
import io.voyager.bdk.model.Conditions;
import io.voyager.bdk.model.Condition;
import io.voyager.bdk.model.OrganizationStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An Organization's status: one {@value #READY} condition — True when every namespace it lists
 * carries its guardrails, else False with a reason and a message naming each namespace or field and
 * why — the namespaces it manages, and the generation that was looked at. Pure; written only when
 * it says something new ({@link #differs}), the transition time kept while the status holds.
 */
public final class OrganizationStatuses {
  private OrganizationStatuses() {}

  static final String READY = "Ready";
  /** Everything listed is applied. */
  static final String APPLIED = "Applied";
  /** A quota cannot be applied: nothing of the Organization was changed. */
  static final String INVALID_QUOTA = "InvalidQuota";
  /** Some listed namespaces are not customer namespaces, do not exist, or belong to an older Organization. */
  static final String NAMESPACE_UNAVAILABLE = "NamespaceUnavailable";
  /** Writing a namespace's guardrails failed (retried with backoff). */
  static final String APPLY_FAILED = "ApplyFailed";

  /** Invalid quotas: says why; the namespaces it manages are what they were (nothing was changed). */
  public static OrganizationStatus invalid(OrganizationStatus previous, Long generation, List<String> problems, Instant now) {
    Condition ready = Conditions.merge(conditions(previous), READY, "False", INVALID_QUOTA,
        "nothing applied or changed until fixed: " + String.join("; ", problems), generation, now);
    return new OrganizationStatus(List.of(ready), previous == null ? null : previous.namespaces(), generation);
  }

  /**
   * @param applied the namespaces whose guardrails are in place
   * @param unavailable why listed namespaces are not managed ({@link NamespaceClaims#problems})
   * @param failures namespaces whose guardrails could not be written, with the error
   */
  public static OrganizationStatus observed(
      OrganizationStatus previous, Long generation, List<String> applied, List<String> unavailable,
      List<String> failures, Instant now) {
    Condition ready;
    if (unavailable.isEmpty() && failures.isEmpty()) {
      ready = Conditions.merge(conditions(previous), READY, "True", APPLIED,
          applied.isEmpty() ? "the organization lists no namespace"
              : "guardrails applied to " + applied.size() + " namespace(s): " + String.join(", ", applied),
          generation, now);
    } else {
      List<String> problems = new ArrayList<>(failures);
      problems.addAll(unavailable);
      ready = Conditions.merge(conditions(previous), READY, "False",
          failures.isEmpty() ? NAMESPACE_UNAVAILABLE : APPLY_FAILED,
          String.join("; ", problems) + (applied.isEmpty() ? "" : " (applied to: " + String.join(", ", applied) + ")"),
          generation, now);
    }
    return new OrganizationStatus(List.of(ready), applied.isEmpty() ? null : List.copyOf(applied), generation);
  }

  /** Whether {@code next} says anything {@code current} does not, ignoring times. */
  public static boolean differs(OrganizationStatus current, OrganizationStatus next) {
    if (current == null) {
      return true;
    }
    return !Objects.equals(orEmpty(current.namespaces()), orEmpty(next.namespaces()))
        || !Objects.equals(current.observedGeneration(), next.observedGeneration())
        || !Objects.equals(Conditions.withoutTimes(current.conditions()), Conditions.withoutTimes(next.conditions()));
  }

  private static List<Condition> conditions(OrganizationStatus status) {
    return status == null ? null : status.conditions();
  }

  private static <T> List<T> orEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }
}
