package io.voyager.bdk.extauthz.replay;

import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.Message;
import io.nats.client.MessageTtl;
import io.nats.client.PublishOptions;
import io.nats.client.impl.Headers;
import io.voyager.bdk.extauthz.shared.AsyncNats;
import io.voyager.bdk.extauthz.shared.SharedState;
import io.voyager.bdk.extauthz.shared.SharedStateSettings;
import io.voyager.bdk.extauthz.shared.SharedStateUnavailable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * Replay memory shared by every ext-authz replica and kept across restarts: the NATS JetStream
 * key-value bucket {@code bdk_extauthz_replay} (file storage, R1 locally, R3 in a cluster).
 *
 * <ul>
 *   <li>Key: a delivery key's {@link ReplayDigest} in hex (32 characters) — never the raw key
 *       (a delivery id or a signature).
 *   <li>First-seen is atomic: {@link #firstDelivery} {@code create}s one key per digest, in
 *       {@link ReplayDigest} order, one after another (asynchronously: {@link #firstDeliveryAsync}); JetStream's create succeeds for exactly one writer whichever
 *       replica it runs on, and a create that finds the key refuses the delivery as a replay.
 *       (A delivery refused at its second key keeps its first key recorded: harmless, that key
 *       was authentic and accepted before.)
 *   <li>Each key carries the route's window ({@code 2 × tolerance}) as its own TTL (per-key TTL,
 *       nats-server &gt;= 2.11), so the bucket holds only live deliveries and needs no sweep; its
 *       size is bounded by {@code --replay-kv-max-bytes} (a full bucket refuses new keys: 503).
 *   <li>No local cache of created keys: {@link #release} (a delivery the book failed) deletes
 *       keys from the bucket, and the replica that created a key must see that. A replay costs
 *       one round trip on any replica.
 * </ul>
 * Every NATS failure or timeout throws {@link io.voyager.bdk.extauthz.shared.SharedStateUnavailable}
 * (the check fails closed with 503).
 */
public final class JetStreamReplayStore implements ReplayStore {
  /** JetStream's "wrong last sequence": the key exists (create lost the race, or a replay). */
  static final int WRONG_LAST_SEQUENCE = 10071;

  private final SharedState state;

  public JetStreamReplayStore(SharedState state) {
    this.state = state;
  }

  /**
   * Whether any of the keys holds a delivery. All keys are asked at once (one JetStream direct get
   * per key, "last message for the key's subject", sent together and awaited together): a delivery
   * with two replay keys waits for one round trip, not two. A key whose last message is a deletion
   * ({@link #release}), a purge or a TTL marker holds nothing. Only a pre-check, made for routes
   * whose book sleeps (a replay then neither takes a token nor wakes the book; other routes go
   * straight to the create): {@link #firstDelivery}'s create stays the authority.
   */
  @Override
  public boolean seen(String endpointKey, List<String> replayKeys) {
    return join(seenAsync(endpointKey, replayKeys));
  }

  /** {@link #seen} as continuations on the direct gets' replies (each with the settings' timeout): no thread waits. */
  @Override
  public CompletableFuture<Boolean> seenAsync(String endpointKey, List<String> replayKeys) {
    try {
      List<String> keys = keys(endpointKey, replayKeys);
      SharedState.Buckets buckets = state.buckets();
      List<CompletableFuture<Boolean>> answers = new ArrayList<>(keys.size());
      for (String key : keys) {
        answers.add(buckets.connection().requestWithTimeout(DIRECT_GET_LAST + key, null, EMPTY, state.settings().timeout())
            .thenApply(JetStreamReplayStore::holdsDelivery));
      }
      return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).handle((ignored, error) -> {
        if (error != null) {
          throw AsyncNats.unavailable(state, "replay_read", error);
        }
        return answers.stream().anyMatch(CompletableFuture::join);
      });
    } catch (SharedStateUnavailable e) {
      return CompletableFuture.failedFuture(e);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(state.unavailable("replay_read", e));
    }
  }

  /** JetStream's direct get of the last message on a key's subject in the replay bucket's stream. */
  static final String DIRECT_GET_LAST = "$JS.API.DIRECT.GET.KV_" + SharedStateSettings.REPLAY_BUCKET + ".$KV."
      + SharedStateSettings.REPLAY_BUCKET + ".";
  private static final String SUBJECT_PREFIX = "$KV." + SharedStateSettings.REPLAY_BUCKET + ".";
  private static final byte[] EMPTY = new byte[0];

  /** A direct get's answer: 404 is no message; a deletion, purge or TTL marker holds no delivery; any other status is a failure. */
  static boolean holdsDelivery(Message answer) {
    if (answer.isStatusMessage()) {
      if (answer.getStatus().getCode() == 404) {
        return false;
      }
      throw new IllegalStateException("direct get answered " + answer.getStatus().getCode() + " " + answer.getStatus().getMessage());
    }
    Headers headers = answer.getHeaders();
    if (headers == null) {
      return true;
    }
    String operation = headers.getFirst("KV-Operation");
    boolean removed = operation != null && !operation.equals("PUT");
    return !removed && headers.getFirst("Nats-Marker-Reason") == null;
  }

  @Override
  public boolean firstDelivery(String endpointKey, List<String> replayKeys, Duration window) {
    return join(firstDeliveryAsync(endpointKey, replayKeys, window));
  }

  /**
   * {@link #firstDelivery} as continuations: the keys are created one after another (the next
   * create is sent from the previous one's reply), in {@link ReplayDigest} order, so of two
   * concurrent deliveries sharing keys one is first — never neither. Each create is a publish
   * expecting the key to have no message ({@code expected last subject sequence 0}); when the key's
   * last message is a deletion ({@link #release}), a purge or a TTL marker, the create is retried on
   * that message's sequence (what the key-value {@code create} does). Any key found holding a
   * delivery refuses the delivery as a replay.
   */
  @Override
  public CompletableFuture<Boolean> firstDeliveryAsync(String endpointKey, List<String> replayKeys, Duration window) {
    if (replayKeys.isEmpty()) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("a delivery needs at least one replay key"));
    }
    try {
      List<String> keys = keys(endpointKey, replayKeys);
      SharedState.Buckets buckets = state.buckets();
      MessageTtl ttl = MessageTtl.seconds((int) Math.max(1, Math.min(Integer.MAX_VALUE, window.toSeconds())));
      byte[] value = Long.toString(window.toSeconds()).getBytes(StandardCharsets.US_ASCII);
      return createFrom(buckets, keys, 0, value, ttl).handle((first, error) -> {
        if (error != null) {
          throw AsyncNats.unavailable(state, "replay_create", error);
        }
        return first;
      });
    } catch (SharedStateUnavailable e) {
      return CompletableFuture.failedFuture(e);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(state.unavailable("replay_create", e));
    }
  }

  private CompletableFuture<Boolean> createFrom(SharedState.Buckets buckets, List<String> keys, int i, byte[] value, MessageTtl ttl) {
    if (i == keys.size()) {
      return CompletableFuture.completedFuture(true);
    }
    String key = keys.get(i);
    return create(buckets, key, 0, value, ttl, true)
        .thenCompose(created -> created ? createFrom(buckets, keys, i + 1, value, ttl) : CompletableFuture.completedFuture(false));
  }

  /** Creates the key expecting {@code sequence} as its last; false when a delivery holds it. */
  private CompletableFuture<Boolean> create(SharedState.Buckets buckets, String key, long sequence, byte[] value, MessageTtl ttl,
      boolean mayReadRemoved) {
    PublishOptions options = PublishOptions.builder().expectedLastSubjectSequence(sequence).messageTtl(ttl).build();
    return buckets.jetStream().publishAsync(SUBJECT_PREFIX + key, value, options)
        .orTimeout(state.settings().timeout().toNanos(), TimeUnit.NANOSECONDS)
        .handle((ack, error) -> {
          if (error == null) {
            return CompletableFuture.completedFuture(true);
          }
          JetStreamApiException api = AsyncNats.apiError(error);
          if (api == null || api.getApiErrorCode() != WRONG_LAST_SEQUENCE) {
            return CompletableFuture.<Boolean>failedFuture(error);
          }
          if (!mayReadRemoved) {
            return CompletableFuture.completedFuture(false); // another delivery created it meanwhile
          }
          // the key has a message: a delivery (a replay), or a deletion/purge/TTL marker (free again)
          return AsyncNats.last(buckets, state, SharedStateSettings.REPLAY_BUCKET, key).thenCompose(last ->
              last.sequence() > 0 && last.removed()
                  ? create(buckets, key, last.sequence(), value, ttl, false)
                  : CompletableFuture.completedFuture(false));
        })
        .thenCompose(f -> f);
  }

  private static boolean join(CompletableFuture<Boolean> answer) {
    try {
      return answer.join();
    } catch (CompletionException e) {
      if (AsyncNats.unwrap(e) instanceof RuntimeException cause) {
        throw cause;
      }
      throw e;
    }
  }

  /**
   * Deletes the digests' keys from the bucket: every replica then takes the delivery as new.
   */
  @Override
  public int release(String endpointKey, List<ReplayDigest> digests) {
    KeyValue bucket = state.buckets().replay();
    int released = 0;
    for (ReplayDigest d : digests) {
      String key = d.hex();
      try {
        if (bucket.get(key) != null) {
          bucket.delete(key);
          released++;
        }
      } catch (IOException | JetStreamApiException | RuntimeException e) {
        throw state.unavailable("replay_release", e);
      }
    }
    return released;
  }

  /** The delivery's keys in the bucket: distinct digests, in a fixed order (so concurrent deliveries cannot deadlock each other out). */
  static List<String> keys(String endpointKey, List<String> replayKeys) {
    List<ReplayDigest> digests = ReplayDigest.ofDelivery(endpointKey, replayKeys);
    List<String> keys = new ArrayList<>(digests.size());
    for (ReplayDigest d : digests) {
      keys.add(d.hex());
    }
    return keys;
  }
}
