package io.voyager.bdk.extauthz.replay;

import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * This replica's replay memory, bounded in bytes, with a fair share per endpoint.
 *
 * <p>What is stored: per endpoint, a table of 128-bit digests ({@link ReplayDigest}) with their
 * expiry, in flat arrays ({@link EndpointReplays#BYTES_PER_SLOT} = 32 bytes per slot, whatever the
 * keys' length). Memory = the tables' slots + {@link #ENDPOINT_OVERHEAD_BYTES} per endpoint.
 *
 * <p>Bounds and fairness:
 * <ul>
 *   <li>an endpoint's table starts at {@link EndpointReplays#MIN_CAPACITY} slots and doubles while
 *       it stays within {@code endpointShareBytes} AND the whole store within {@code memoryBytes};
 *   <li>a full table that may not grow evicts ITS OWN oldest entry — never another endpoint's. A
 *       flood on endpoint A beyond its share can thus only shorten A's own memory, and only when A
 *       received more authentic deliveries than its share holds within a window (replays are
 *       refused before anything is recorded, and forgeries never get here);
 *   <li>every endpoint gets its minimum table even when the budget is spent, so a new endpoint
 *       is never without replay protection: the store holds at most {@code memoryBytes} plus
 *       (minimum table + overhead) = 768 bytes per endpoint with live entries (one per webhook
 *       route at most);
 *   <li>{@link #sweep} (run every few seconds) drops expired entries, shrinks tables to what they
 *       hold and forgets endpoints with nothing live, giving their bytes back to the budget.
 * </ul>
 * Evictions of live entries are counted per limit ({@link #evictions}) so an operator can see
 * when the share or the budget is too small.
 */
public final class BoundedReplayStore implements ReplayStore {
  /** Per endpoint beyond its arrays: the table object, array headers, the map entry and key. */
  public static final long ENDPOINT_OVERHEAD_BYTES = 256;
  /** The smallest table (bytes). */
  public static final long MIN_TABLE_BYTES = (long) EndpointReplays.MIN_CAPACITY * EndpointReplays.BYTES_PER_SLOT;

  /**
   * @param memoryBytes what the tables may grow to in all (beyond each endpoint's minimum table)
   * @param endpointShareBytes what one endpoint's table may grow to
   */
  public record Budget(long memoryBytes, long endpointShareBytes) {
    public Budget {
      if (endpointShareBytes < MIN_TABLE_BYTES) {
        throw new IllegalArgumentException("the endpoint share must be at least " + MIN_TABLE_BYTES + " bytes");
      }
      if (memoryBytes < endpointShareBytes) {
        throw new IllegalArgumentException("the replay memory must be at least the endpoint share");
      }
    }

    /** 128 MiB in all, 4 MiB (131,072 slots) per endpoint. */
    public static Budget standard() {
      return new Budget(128L << 20, 4L << 20);
    }

    /** Deliveries' keys one endpoint can remember at most. */
    public long slotsPerEndpoint() {
      return Long.highestOneBit(endpointShareBytes / EndpointReplays.BYTES_PER_SLOT);
    }
  }

  private final Budget budget;
  private final Ticker ticker;
  private final Map<String, EndpointReplays> endpoints = new ConcurrentHashMap<>();
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong entries = new AtomicLong();
  private final LongAdder shareEvictions = new LongAdder();
  private final LongAdder budgetEvictions = new LongAdder();
  private final EndpointReplays.Room room = new EndpointReplays.Room() {
    @Override
    public EndpointReplays.Limit tryGrow(EndpointReplays table, long extraBytes) {
      if (table.bytes() + extraBytes > budget.endpointShareBytes()) {
        return EndpointReplays.Limit.ENDPOINT_SHARE;
      }
      if (bytes.addAndGet(extraBytes) > budget.memoryBytes() + minimumTables()) {
        bytes.addAndGet(-extraBytes);
        return EndpointReplays.Limit.MEMORY_BUDGET;
      }
      return null;
    }

    @Override
    public void evicted(EndpointReplays.Limit limit) {
      (limit == EndpointReplays.Limit.ENDPOINT_SHARE ? shareEvictions : budgetEvictions).increment();
    }
  };

  public BoundedReplayStore(Budget budget, Ticker ticker) {
    this.budget = budget;
    this.ticker = ticker;
  }

  @Override
  public boolean seen(String endpointKey, List<String> replayKeys) {
    EndpointReplays table = endpoints.get(endpointKey);
    if (table == null) {
      return false;
    }
    List<ReplayDigest> digests = digests(endpointKey, replayKeys);
    long now = ticker.read();
    synchronized (table) {
      return !table.retired && table.anyLive(digests, now);
    }
  }

  @Override
  public boolean firstDelivery(String endpointKey, List<String> replayKeys, Duration window) {
    if (replayKeys.isEmpty()) {
      throw new IllegalArgumentException("a delivery needs at least one replay key");
    }
    List<ReplayDigest> digests = digests(endpointKey, replayKeys);
    long now = ticker.read();
    long expiresAt = now + window.toNanos();
    while (true) {
      EndpointReplays table = endpoints.computeIfAbsent(endpointKey, k -> {
        bytes.addAndGet(ENDPOINT_OVERHEAD_BYTES + MIN_TABLE_BYTES);
        return new EndpointReplays(EndpointReplays.MIN_CAPACITY);
      });
      synchronized (table) {
        if (table.retired) {
          continue; // swept away meanwhile: record into its successor
        }
        int before = table.size();
        boolean first = table.record(digests, expiresAt, now, room);
        entries.addAndGet(table.size() - before);
        return first;
      }
    }
  }

  @Override
  public int release(String endpointKey, List<ReplayDigest> digests) {
    EndpointReplays table = endpoints.get(endpointKey);
    if (table == null) {
      return 0;
    }
    long now = ticker.read();
    int released = 0;
    synchronized (table) {
      if (table.retired) {
        return 0;
      }
      for (ReplayDigest d : digests) {
        if (table.expire(d, now)) {
          released++;
        }
      }
    }
    return released;
  }

  /** Drops expired entries, shrinks tables to what they hold and forgets endpoints with nothing live. */
  public void sweep() {
    long now = ticker.read();
    for (Map.Entry<String, EndpointReplays> e : endpoints.entrySet()) {
      EndpointReplays table = e.getValue();
      synchronized (table) {
        if (table.retired) {
          continue;
        }
        int beforeSize = table.size();
        long beforeBytes = table.bytes();
        table.compact(now);
        entries.addAndGet(table.size() - beforeSize);
        if (table.size() == 0) {
          table.retired = true;
          endpoints.remove(e.getKey(), table);
          bytes.addAndGet(-(ENDPOINT_OVERHEAD_BYTES + beforeBytes));
        } else {
          bytes.addAndGet(table.bytes() - beforeBytes);
        }
      }
    }
  }

  /** Bytes held: every endpoint's slots and overhead. */
  public long bytes() {
    return bytes.get();
  }

  /** Digests remembered (live, or expired and not yet dropped). */
  public long entries() {
    return entries.get();
  }

  public long endpoints() {
    return endpoints.size();
  }

  public Budget budget() {
    return budget;
  }

  /** Live entries evicted since start because a table reached its share ({@code endpoint_share}) or the budget was spent ({@code memory_budget}). */
  public long evictions(String limit) {
    return switch (limit) {
      case "endpoint_share" -> shareEvictions.sum();
      case "memory_budget" -> budgetEvictions.sum();
      default -> throw new IllegalArgumentException("limit is endpoint_share or memory_budget");
    };
  }

  /** The minimum tables are granted beyond the budget (see the class comment). */
  private long minimumTables() {
    return endpoints.size() * (ENDPOINT_OVERHEAD_BYTES + MIN_TABLE_BYTES);
  }

  /** The delivery's digests, distinct and in a fixed order (the order a shared store creates them in). */
  private static List<ReplayDigest> digests(String endpointKey, List<String> replayKeys) {
    return ReplayDigest.ofDelivery(endpointKey, replayKeys);
  }
}
