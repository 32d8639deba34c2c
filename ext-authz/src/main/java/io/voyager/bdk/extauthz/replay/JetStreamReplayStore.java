package io.voyager.bdk.extauthz.replay;

import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.Message;
import io.nats.client.MessageTtl;
import io.nats.client.impl.Headers;
import io.voyager.bdk.extauthz.shared.SharedState;
import io.voyager.bdk.extauthz.shared.SharedStateSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Replay memory shared by every ext-authz replica and kept across restarts: the NATS JetStream
 * key-value bucket {@code bdk_extauthz_replay} (file storage, R1 locally, R3 in a cluster).
 *
 * <ul>
 *   <li>Key: a delivery key's {@link ReplayDigest} in hex (32 characters) — never the raw key
 *       (a delivery id or a signature).
 *   <li>First-seen is atomic: {@link #firstDelivery} {@code create}s one key per digest, in
 *       {@link ReplayDigest} order; JetStream's create succeeds for exactly one writer whichever
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
   * ({@link #release}), a purge or a TTL marker holds nothing. Only a pre-check (a replay then takes
   * no rate-limit token): {@link #firstDelivery}'s create stays the authority.
   */
  @Override
  public boolean seen(String endpointKey, List<String> replayKeys) {
    List<String> keys = keys(endpointKey, replayKeys);
    SharedState.Buckets buckets = state.buckets();
    try {
      List<CompletableFuture<Message>> answers = new ArrayList<>(keys.size());
      for (String key : keys) {
        answers.add(buckets.connection().requestWithTimeout(DIRECT_GET_LAST + key, null, EMPTY, state.settings().timeout()));
      }
      long deadline = System.nanoTime() + state.settings().timeout().toNanos();
      boolean seen = false;
      for (CompletableFuture<Message> answer : answers) {
        seen |= holdsDelivery(answer.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
      }
      return seen;
    } catch (ExecutionException e) {
      throw state.unavailable("replay_read", e.getCause() instanceof Exception cause ? cause : e);
    } catch (InterruptedException | TimeoutException | RuntimeException e) {
      throw state.unavailable("replay_read", e);
    }
  }

  /** JetStream's direct get of the last message on a key's subject in the replay bucket's stream. */
  static final String DIRECT_GET_LAST = "$JS.API.DIRECT.GET.KV_" + SharedStateSettings.REPLAY_BUCKET + ".$KV."
      + SharedStateSettings.REPLAY_BUCKET + ".";
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
    if (replayKeys.isEmpty()) {
      throw new IllegalArgumentException("a delivery needs at least one replay key");
    }
    List<String> keys = keys(endpointKey, replayKeys);
    KeyValue bucket = state.buckets().replay();
    MessageTtl ttl = MessageTtl.seconds((int) Math.max(1, Math.min(Integer.MAX_VALUE, window.toSeconds())));
    byte[] value = Long.toString(window.toSeconds()).getBytes(StandardCharsets.US_ASCII);
    for (String key : keys) {
      try {
        bucket.create(key, value, ttl);
      } catch (JetStreamApiException e) {
        if (e.getApiErrorCode() == WRONG_LAST_SEQUENCE) {
          return false;
        }
        throw state.unavailable("replay_create", e);
      } catch (IOException | RuntimeException e) {
        throw state.unavailable("replay_create", e);
      }
    }
    return true;
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
    return replayKeys.stream().map(k -> ReplayDigest.of(endpointKey, k)).distinct().sorted().map(ReplayDigest::hex).toList();
  }
}
