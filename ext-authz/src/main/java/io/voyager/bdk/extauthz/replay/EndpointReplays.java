package io.voyager.bdk.extauthz.replay;

import java.util.List;

/**
 * One endpoint's remembered deliveries in flat arrays: a ring of (digest, expiry) in insertion
 * order and an open-addressing index (linear probing, twice the ring's capacity) from digest to
 * ring position. {@link #BYTES_PER_SLOT} bytes per slot, no object per entry.
 *
 * <p>Entries are appended in the order they are recorded; with one window per endpoint (twice its
 * route's tolerance) that is also the order they expire in, so expired entries are dropped from the
 * ring's head as new ones arrive, and by {@link #compact} (the store's sweep) wherever they are.
 * Recording a digest whose old entry has expired unlinks the old entry from the index (its ring slot
 * stays, expired, until the head passes it) and appends a new one, keeping that order. When the
 * ring is full of live entries and may not grow, the OLDEST entry of this endpoint is evicted: one
 * endpoint never touches another's memory. (Should a route's tolerance change, entries recorded
 * under the old window may leave a little earlier or later than in strict expiry order.)
 *
 * <p>Not thread-safe: {@link BoundedReplayStore} holds this object's monitor around every call.
 */
final class EndpointReplays {
  /** 16 bytes of digest + 8 of expiry in the ring, two 4-byte index slots. */
  static final int BYTES_PER_SLOT = 32;
  static final int MIN_CAPACITY = 16;

  /** Why a full table may not grow, so that a live entry of its own has to go. */
  enum Limit { ENDPOINT_SHARE, MEMORY_BUDGET }

  /** The store's side of growing: the share and the budget. */
  interface Room {
    /** Reserves {@code extraBytes} for {@code table} to double; null when it may, else the limit in the way. */
    Limit tryGrow(EndpointReplays table, long extraBytes);

    /** A live entry of this table was evicted because of {@code limit}. */
    void evicted(Limit limit);
  }

  private long[] high;
  private long[] low;
  /** Expiry in ticker nanoseconds; an entry is live while {@code expires > now}. */
  private long[] expires;
  private int mask;
  private int head;
  private int count;
  private int[] index;
  private int indexMask;
  /** Set (under the monitor) when the store dropped this table; callers then fetch a new one. */
  boolean retired;

  EndpointReplays(int capacity) {
    allocate(capacity);
  }

  int capacity() {
    return mask + 1;
  }

  int size() {
    return count;
  }

  long bytes() {
    return (long) capacity() * BYTES_PER_SLOT;
  }

  /** Whether any digest has a live entry. */
  boolean anyLive(List<ReplayDigest> digests, long now) {
    for (ReplayDigest d : digests) {
      int p = find(d.high(), d.low());
      if (p >= 0 && expires[p] - now > 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * Records the digests unless one of them is live (a replay: nothing is recorded).
   *
   * @return true when recorded
   */
  boolean record(List<ReplayDigest> digests, long expiresAt, long now, Room room) {
    if (anyLive(digests, now)) {
      return false;
    }
    for (ReplayDigest d : digests) {
      int p = find(d.high(), d.low());
      if (p >= 0) {
        // An expired entry with this digest: unlink it (its slot leaves with the head) and append anew.
        indexRemove(indexSlotOf(p));
      }
      makeRoom(now, room);
      int pos = (head + count) & mask;
      high[pos] = d.high();
      low[pos] = d.low();
      expires[pos] = expiresAt;
      indexInsert(pos);
      count++;
    }
    return true;
  }

  /** Expires the live entry of {@code d} now (it stays in the ring until it leaves); whether there was one. */
  boolean expire(ReplayDigest d, long now) {
    int p = find(d.high(), d.low());
    if (p < 0 || expires[p] - now <= 0) {
      return false;
    }
    expires[p] = now;
    return true;
  }

  /**
   * Drops every expired entry and returns the capacity this table should have now: the smallest
   * power of two (at least {@link #MIN_CAPACITY}) holding the live entries at most half full, when
   * that is a quarter of the current capacity or less; the current one otherwise.
   */
  int compact(long now) {
    int live = 0;
    for (int i = 0; i < count; i++) {
      if (expires[(head + i) & mask] - now > 0) {
        live++;
      }
    }
    int target = capacity();
    int wanted = Math.max(MIN_CAPACITY, Integer.highestOneBit(Math.max(1, live * 2 - 1)) << 1);
    if (wanted <= capacity() / 4) {
      target = wanted;
    }
    if (live < count || target != capacity()) {
      rebuild(target, now);
    }
    return target;
  }

  // ---- internals ----

  /** Frees one slot: expired entries at the head first, then growth, then this table's oldest entry. */
  private void makeRoom(long now, Room room) {
    if (count < capacity()) {
      return;
    }
    while (count > 0 && expires[head] - now <= 0) {
      popHead();
    }
    if (count < capacity()) {
      return;
    }
    Limit limit = room.tryGrow(this, bytes());
    if (limit == null) {
      rebuild(capacity() * 2, now);
      return;
    }
    popHead();
    room.evicted(limit);
  }

  private void popHead() {
    int slot = indexSlotOf(head);
    if (slot >= 0) { // else: an entry unlinked when its digest was recorded anew
      indexRemove(slot);
    }
    head = (head + 1) & mask;
    count--;
  }

  private int find(long h, long l) {
    int i = (int) l & indexMask;
    while (true) {
      int v = index[i];
      if (v == 0) {
        return -1;
      }
      int p = v - 1;
      if (high[p] == h && low[p] == l) {
        return p;
      }
      i = (i + 1) & indexMask;
    }
  }

  /** The index slot pointing at ring position {@code pos}, or -1 when it was unlinked. */
  private int indexSlotOf(int pos) {
    int i = (int) low[pos] & indexMask;
    while (index[i] != pos + 1) {
      if (index[i] == 0) {
        return -1;
      }
      i = (i + 1) & indexMask;
    }
    return i;
  }

  private void indexInsert(int pos) {
    int i = (int) low[pos] & indexMask;
    while (index[i] != 0) {
      i = (i + 1) & indexMask;
    }
    index[i] = pos + 1;
  }

  /** Backward-shift deletion: keeps every remaining entry reachable from its home slot. */
  private void indexRemove(int slot) {
    int hole = slot;
    int j = slot;
    while (true) {
      j = (j + 1) & indexMask;
      int v = index[j];
      if (v == 0) {
        break;
      }
      int home = (int) low[v - 1] & indexMask;
      // The entry at j may move into the hole unless its home lies cyclically in (hole, j].
      boolean stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
      if (!stays) {
        index[hole] = v;
        hole = j;
      }
    }
    index[hole] = 0;
  }

  /** Copies the live entries, in ring order, into a table of {@code capacity}. */
  private void rebuild(int capacity, long now) {
    long[] oldHigh = high;
    long[] oldLow = low;
    long[] oldExpires = expires;
    int oldMask = mask;
    int oldHead = head;
    int oldCount = count;
    allocate(capacity);
    for (int i = 0; i < oldCount; i++) {
      int p = (oldHead + i) & oldMask;
      if (oldExpires[p] - now <= 0) {
        continue; // expired, or unlinked (an unlinked entry had expired)
      }
      int pos = count;
      high[pos] = oldHigh[p];
      low[pos] = oldLow[p];
      expires[pos] = oldExpires[p];
      indexInsert(pos);
      count++;
    }
  }

  private void allocate(int capacity) {
    if (Integer.bitCount(capacity) != 1 || capacity < MIN_CAPACITY) {
      throw new IllegalArgumentException("capacity must be a power of two >= " + MIN_CAPACITY);
    }
    high = new long[capacity];
    low = new long[capacity];
    expires = new long[capacity];
    mask = capacity - 1;
    head = 0;
    count = 0;
    index = new int[capacity * 2];
    indexMask = capacity * 2 - 1;
  }
}
