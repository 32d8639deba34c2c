package io.voyager.bdk.extauthz.replay;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What ext-authz remembers of the deliveries it accepted, per endpoint, for their replay window.
 *
 * <p>A delivery has one or more replay keys ({@link io.voyager.bdk.extauthz.scheme.Verified#replayKeys}):
 * e.g. a GitHub delivery is keyed on its verified signature and on its delivery id. It is a replay
 * when ANY of its keys was accepted within the window, so changing or dropping the unsigned
 * delivery id of a captured delivery does not make it new. Implementations store a fixed-size
 * digest of endpoint and key ({@link ReplayDigest}), never the key itself.
 *
 * <p>Implementations: {@link BoundedReplayStore} (this replica's memory, bounded in bytes). A store
 * shared by replicas (NATS JetStream KV, issue 9) fits the same contract: {@link #firstDelivery}
 * creates one KV entry per digest, in {@link ReplayDigest} order, with the window as its TTL, and
 * reports a replay when any create finds the key already there.
 */
public interface ReplayStore {
  /** Whether any of {@code replayKeys} was accepted for this endpoint within its window. Records nothing. */
  boolean seen(String endpointKey, List<String> replayKeys);

  /**
   * Records an accepted delivery under all its keys for {@code window}; false (and nothing
   * new is promised) when any key was already recorded within its window: a replay. Atomic per
   * delivery: of concurrent deliveries sharing a key, exactly one is first.
   */
  boolean firstDelivery(String endpointKey, List<String> replayKeys, Duration window);

  /**
   * Forgets these digests of {@code endpointKey}'s deliveries (a delivery the book did not
   * answer, or answered 5xx: its sender's retry must not be taken for a replay). Unknown or
   * expired digests are ignored.
   *
   * @return how many live entries were forgotten
   */
  int release(String endpointKey, List<ReplayDigest> digests);

  /** {@link #seen} without blocking the caller; by default decided at once on the caller's thread. */
  default CompletableFuture<Boolean> seenAsync(String endpointKey, List<String> replayKeys) {
    try {
      return CompletableFuture.completedFuture(seen(endpointKey, replayKeys));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** {@link #firstDelivery} without blocking the caller; by default decided at once on the caller's thread. */
  default CompletableFuture<Boolean> firstDeliveryAsync(String endpointKey, List<String> replayKeys, Duration window) {
    try {
      return CompletableFuture.completedFuture(firstDelivery(endpointKey, replayKeys, window));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
