package io.voyager.bdk.extauthz.shared;

import io.nats.client.JetStreamApiException;
import io.nats.client.Message;
import io.nats.client.impl.Headers;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Helpers for ext-authz's asynchronous NATS calls: the JetStream API error inside a failed
 * future, and a key-value key's last revision by JetStream's direct get (one request, no thread
 * waiting for it).
 */
public final class AsyncNats {
  private AsyncNats() {}

  /** The key's last message as read by a direct get: its stream sequence (0: none), its body and whether it is a deletion or TTL marker. */
  public record Last(long sequence, byte[] data, boolean removed) {
    /** Whether the key holds a value (not nothing, a deletion, a purge or a TTL marker). */
    public boolean holdsValue() {
      return sequence > 0 && !removed;
    }
  }

  private static final byte[] EMPTY = new byte[0];

  /**
   * Reads the last message on {@code bucket}'s key (JetStream direct get, the settings' timeout);
   * a status other than 404 (no message) fails the future.
   */
  public static CompletableFuture<Last> last(SharedState.Buckets buckets, SharedState state, String bucket, String key) {
    String subject = "$JS.API.DIRECT.GET.KV_" + bucket + ".$KV." + bucket + "." + key;
    return buckets.connection().requestWithTimeout(subject, null, EMPTY, state.settings().timeout()).thenApply(AsyncNats::last);
  }

  /** A direct get's answer as a {@link Last}. */
  public static Last last(Message answer) {
    if (answer.isStatusMessage()) {
      if (answer.getStatus().getCode() == 404) {
        return new Last(0, EMPTY, true);
      }
      throw new IllegalStateException("direct get answered " + answer.getStatus().getCode() + " " + answer.getStatus().getMessage());
    }
    Headers headers = answer.getHeaders();
    String sequence = headers == null ? null : headers.getFirst("Nats-Sequence");
    if (sequence == null) {
      throw new IllegalStateException("direct get answered without Nats-Sequence");
    }
    String operation = headers.getFirst("KV-Operation");
    boolean removed = (operation != null && !operation.equals("PUT")) || headers.getFirst("Nats-Marker-Reason") != null;
    byte[] data = answer.getData();
    return new Last(Long.parseLong(sequence.trim()), data == null ? EMPTY : data, removed);
  }

  /** The JetStream API error a failed future carries (however wrapped), or null. */
  public static JetStreamApiException apiError(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof JetStreamApiException api) {
        return api;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return null;
  }

  /** The cause of a failed future, unwrapped from {@link CompletionException} and {@link ExecutionException}. */
  public static Throwable unwrap(Throwable error) {
    Throwable t = error;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** The failure as {@link SharedStateUnavailable} (counted and logged once by {@link SharedState#unavailable}). */
  public static SharedStateUnavailable unavailable(SharedState state, String what, Throwable error) {
    Throwable cause = unwrap(error);
    if (cause instanceof SharedStateUnavailable u) {
      return u;
    }
    return state.unavailable(what, cause instanceof Exception e ? e : new RuntimeException(cause));
  }
}
