package io.voyager.bdk.controller.apply;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Serialises work on one shared workload. JOSDK reconciles one instance at a time, but a shared
 * workload's objects are written by the reconciles of all its tenants: without this, two tenants
 * arriving together each derive the tenant list and write it, and the API server answers the
 * second write with 409 (or the stale list wins). Striped, so memory stays bounded however many
 * workloads there are; callers never hold two at once.
 */
public final class WorkloadLocks {
  private static final int STRIPES = 64;
  private final ReentrantLock[] locks = new ReentrantLock[STRIPES];

  public WorkloadLocks() {
    for (int i = 0; i < STRIPES; i++) {
      locks[i] = new ReentrantLock();
    }
  }

  public <T> T withLock(String namespace, String workload, Supplier<T> work) {
    ReentrantLock lock = locks[Math.floorMod((namespace + "/" + workload).hashCode(), STRIPES)];
    lock.lock();
    try {
      return work.get();
    } finally {
      lock.unlock();
    }
  }
}
