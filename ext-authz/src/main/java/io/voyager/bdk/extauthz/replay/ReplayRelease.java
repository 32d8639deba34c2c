package io.voyager.bdk.extauthz.replay;

import java.util.ArrayList;
import java.util.List;

/**
 * The value of {@link io.voyager.bdk.model.WebhookAuthContext#HEADER_REPLAY_RELEASE}: the
 * endpoint key, a space, then the delivery's digests in hex, comma-separated
 * ({@code webhook/github/ns/book/gh 0a1b…,9f8e…}). Digests of endpoint and key, never the keys.
 * Pure.
 */
public record ReplayRelease(String endpointKey, List<ReplayDigest> digests) {
  /** Longest value read (an endpoint key is a few Kubernetes names; a delivery has a few keys). */
  public static final int MAX_VALUE_CHARS = 1024;
  /** Most digests one release forgets. */
  public static final int MAX_DIGESTS = 8;

  public static String headerValue(String endpointKey, List<String> replayKeys) {
    List<ReplayDigest> digests = ReplayDigest.ofDelivery(endpointKey, replayKeys);
    StringBuilder value = new StringBuilder(endpointKey.length() + 1 + 33 * digests.size()).append(endpointKey).append(' ');
    for (int i = 0; i < digests.size(); i++) {
      if (i > 0) {
        value.append(',');
      }
      digests.get(i).appendHex(value);
    }
    return value.toString();
  }

  /** The release a header value names; IllegalArgumentException (naming what is wrong) otherwise. */
  public static ReplayRelease parse(String value) {
    if (value == null || value.isEmpty()) {
      throw new IllegalArgumentException("the release header is empty");
    }
    if (value.length() > MAX_VALUE_CHARS) {
      throw new IllegalArgumentException("the release header is longer than " + MAX_VALUE_CHARS + " characters");
    }
    int space = value.lastIndexOf(' ');
    if (space <= 0 || space == value.length() - 1) {
      throw new IllegalArgumentException("the release header is not '<endpoint key> <digest>[,<digest>…]'");
    }
    String[] parts = value.substring(space + 1).split(",", -1);
    if (parts.length > MAX_DIGESTS) {
      throw new IllegalArgumentException("the release header names more than " + MAX_DIGESTS + " digests");
    }
    List<ReplayDigest> digests = new ArrayList<>(parts.length);
    for (String part : parts) {
      digests.add(ReplayDigest.parseHex(part));
    }
    return new ReplayRelease(value.substring(0, space), List.copyOf(digests));
  }
}
