package io.voyager.bdk.controller.desired;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Whether a webhook-triggered workload runs or sleeps (scaled to zero), from the time of its last
 * webhook (the wake Lease's {@code last-webhook}, written by ext-authz or the relay) and what its
 * Deployment remembers: {@link ManagedLabels#ASLEEP_SINCE} while it sleeps,
 * {@link ManagedLabels#AWAKE_SINCE} since it was last started or woken. A workload goes to sleep
 * once neither a webhook nor its start is more recent than the idle period; a sleeping one wakes
 * when a webhook came after it fell asleep. Other workloads always run. Pure: the caller passes
 * the time.
 *
 * @param asleep whether the Deployment should have no replicas
 * @param since when it fell asleep (asleep) or was last started or woken (awake); null for workloads that never sleep
 * @param recheckIn when to look again if nothing happens meanwhile (an awake workload's remaining idle time)
 * @param recorded whether {@code since} goes on the Deployment: only when it fell asleep or woke, or
 *     it was recorded before — each annotation change bumps a Deployment's generation, so it is
 *     written only together with the change of replicas it explains
 */
public record SleepSchedule(boolean asleep, Instant since, Optional<Duration> recheckIn, boolean recorded) {

  /** A workload that never sleeps. */
  public static final SleepSchedule ALWAYS_AWAKE = new SleepSchedule(false, null, Optional.empty(), false);

  /**
   * @param sleepAfter the idle period; zero means never
   * @param sleeps whether this workload sleeps when idle (webhook-triggered)
   * @param live its Deployment as it is, if it exists
   * @param lastWebhook the latest webhook accepted for it, if any
   */
  public static SleepSchedule decide(Duration sleepAfter, boolean sleeps, Optional<Deployment> live,
      Optional<Instant> lastWebhook, Instant now) {
    if (!sleeps || sleepAfter.isZero()) {
      return ALWAYS_AWAKE;
    }
    if (live.isEmpty()) {
      return new SleepSchedule(false, now, Optional.of(sleepAfter), false);
    }
    Optional<Instant> asleepSince = time(live.get(), ManagedLabels.ASLEEP_SINCE);
    if (asleepSince.isPresent()) {
      if (lastWebhook.isPresent() && lastWebhook.get().isAfter(asleepSince.get())) {
        return new SleepSchedule(false, now, Optional.of(sleepAfter), true);
      }
      return new SleepSchedule(true, asleepSince.get(), Optional.empty(), true);
    }
    Optional<Instant> woken = time(live.get(), ManagedLabels.AWAKE_SINCE);
    Instant awakeSince = woken.or(() -> time(live.get().getMetadata().getCreationTimestamp())).orElse(now);
    Instant lastActive = lastWebhook.filter(t -> t.isAfter(awakeSince)).orElse(awakeSince);
    Duration idle = Duration.between(lastActive, now);
    if (idle.compareTo(sleepAfter) >= 0) {
      return new SleepSchedule(true, now, Optional.empty(), true);
    }
    return new SleepSchedule(false, awakeSince, Optional.of(sleepAfter.minus(idle)), woken.isPresent());
  }

  /** The Deployment annotations that remember this state. */
  public Map<String, String> annotations() {
    Map<String, String> a = new TreeMap<>();
    if (since != null && recorded) {
      a.put(asleep ? ManagedLabels.ASLEEP_SINCE : ManagedLabels.AWAKE_SINCE, since.toString());
    }
    return a;
  }

  private static Optional<Instant> time(Deployment d, String annotation) {
    var annotations = d.getMetadata().getAnnotations();
    return time(annotations == null ? null : annotations.get(annotation));
  }

  /** An RFC 3339 time, or empty when absent or malformed. */
  public static Optional<Instant> time(String value) {
    if (value == null || value.isBlank()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.parse(value));
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }
}
