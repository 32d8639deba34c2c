package io.voyager.bdk.localruntime;

import io.voyager.bdk.samplebook.SampleBook;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sample book backends standing in for the pods of customer Deployments: one per Deployment,
 * on a free loopback port, named {@code namespace/deployment}. At most {@code limit} run at once;
 * beyond that a Deployment gets none (and so reports no ready replicas) until others stop. A
 * backend {@linkplain #hold held down} (its book's process down, as a crashed container the kubelet
 * does not restart) gets none either until it is {@linkplain #release released}.
 */
final class Backends implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Backends.class);

  private final ConcurrentMap<String, SampleBook> running = new ConcurrentHashMap<>();
  private final Set<String> heldDown = ConcurrentHashMap.newKeySet();
  private final int limit;
  private final int history;

  Backends(int limit, int history) {
    if (limit < 1) {
      throw new IllegalArgumentException("--max-backends must be at least 1, got " + limit);
    }
    this.limit = limit;
    this.history = history;
  }

  /** The backend for {@code namespace/deployment}, started if needed; empty when over the limit. */
  Optional<SampleBook> ensure(String namespace, String deployment) {
    String key = key(namespace, deployment);
    if (heldDown.contains(key)) {
      return Optional.empty();
    }
    SampleBook existing = running.get(key);
    if (existing != null) {
      return Optional.of(existing);
    }
    if (running.size() >= limit) {
      log.warn("event=backend_limit_reached namespace={} deployment={} limit={}", namespace, deployment, limit);
      return Optional.empty();
    }
    SampleBook book = SampleBook.start("127.0.0.1", 0, key, history);
    running.put(key, book);
    log.info("event=backend_started namespace={} deployment={} port={}", namespace, deployment, book.port());
    return Optional.of(book);
  }

  /** Stops the backend of {@code namespace/deployment} and keeps it down until {@link #release}. */
  void hold(String namespace, String deployment) {
    heldDown.add(key(namespace, deployment));
    stop(namespace, deployment);
    log.info("event=backend_held_down namespace={} deployment={}", namespace, deployment);
  }

  /** Lets the backend of {@code namespace/deployment} run again (its next reconcile starts it). */
  void release(String namespace, String deployment) {
    if (heldDown.remove(key(namespace, deployment))) {
      log.info("event=backend_released namespace={} deployment={}", namespace, deployment);
    }
  }

  /** Stops every backend in {@code namespace} whose Deployment is not in {@code keep}. */
  void retainOnly(String namespace, Set<String> keep) {
    String prefix = namespace + "/";
    running.keySet().stream()
        .filter(key -> key.startsWith(prefix) && !keep.contains(key.substring(prefix.length())))
        .toList()
        .forEach(key -> stop(namespace, key.substring(prefix.length())));
  }

  /** The backend of {@code namespace/deployment}, if one runs. */
  Optional<SampleBook> get(String namespace, String deployment) {
    return Optional.ofNullable(running.get(key(namespace, deployment)));
  }

  int size() {
    return running.size();
  }

  List<RunningBackend> list() {
    return running.entrySet().stream()
        .map(
            e -> {
              int slash = e.getKey().indexOf('/');
              return new RunningBackend(
                  e.getKey().substring(0, slash),
                  e.getKey().substring(slash + 1),
                  e.getValue().port(),
                  e.getValue().receivedTotal());
            })
        .sorted(Comparator.comparing(RunningBackend::namespace).thenComparing(RunningBackend::deployment))
        .toList();
  }

  private void stop(String namespace, String deployment) {
    SampleBook book = running.remove(key(namespace, deployment));
    if (book != null) {
      book.close();
      log.info("event=backend_stopped namespace={} deployment={} port={}", namespace, deployment, book.port());
    }
  }

  private static String key(String namespace, String deployment) {
    return namespace + "/" + deployment;
  }

  @Override
  public void close() {
    running.keySet().stream().toList().forEach(key -> {
      int slash = key.indexOf('/');
      stop(key.substring(0, slash), key.substring(slash + 1));
    });
  }
}
