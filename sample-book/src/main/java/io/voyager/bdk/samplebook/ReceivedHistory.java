package io.voyager.bdk.samplebook;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * The last {@code capacity} webhooks a sample book received, oldest first, in bounded memory, plus
 * the total count since start. Thread-safe.
 */
public final class ReceivedHistory {
  private final int capacity;
  private final Deque<ReceivedWebhook> recent;
  private long total;

  public ReceivedHistory(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("history capacity must be at least 1, got " + capacity);
    }
    this.capacity = capacity;
    this.recent = new ArrayDeque<>(Math.min(capacity, 1024));
  }

  public synchronized void add(ReceivedWebhook webhook) {
    if (recent.size() == capacity) {
      recent.removeFirst();
    }
    recent.addLast(webhook);
    total++;
  }

  /** A copy of the remembered webhooks, oldest first. */
  public synchronized List<ReceivedWebhook> recent() {
    return List.copyOf(recent);
  }

  /** How many webhooks were received since start, including those no longer remembered. */
  public synchronized long total() {
    return total;
  }

  public int capacity() {
    return capacity;
  }
}
