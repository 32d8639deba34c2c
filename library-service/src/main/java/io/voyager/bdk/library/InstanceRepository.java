package io.voyager.bdk.library;

import io.voyager.bdk.model.InstanceNames;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.voyager.bdk.library.SortKeys.InstanceKey;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookInstanceDefinition;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * BookInstanceDefinitions and their credentials Secrets: writes go to the API server, reads come
 * from the informer cache (by instance id, and a book's instances from the sorted index) except the
 * instance check before a book is deleted, which asks the API server. Each write waits (bounded)
 * until the cache shows it, so the caller reads its own writes. Secret contents are never read back.
 */
final class InstanceRepository implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(InstanceRepository.class);

  static final String BY_ID = "instance-id";
  private static final long SERVER_PAGE = 100;

  private final KubernetesClient client;
  private final String namespace;
  private final ResourceCache<BookInstanceDefinition, InstanceKey> cache;
  private final Duration cacheWait;

  InstanceRepository(KubernetesClient client, String namespace, Duration cacheWait) {
    this.client = client;
    this.namespace = namespace;
    this.cacheWait = cacheWait;
    Map<String, Function<BookInstanceDefinition, List<String>>> indexers =
        Map.of(BY_ID, d -> List.of(SortKeys.label(d.getMetadata().getLabels(), BdkLabels.INSTANCE_ID)));
    this.cache =
        new ResourceCache<>(
            client.resources(BookInstanceDefinition.class).inNamespace(namespace).runnableInformer(0),
            indexers,
            InstanceKey::of,
            InstanceKey.ORDER);
  }

  void start(Duration timeout) {
    cache.start(timeout);
  }

  boolean hasSynced() {
    return cache.hasSynced();
  }

  int size() {
    return cache.size();
  }

  /** Whether the namespace exists (a direct read: namespaces are not cached). */
  boolean namespaceExists(String name) {
    return client.namespaces().withName(name).get() != null;
  }

  /**
   * Creates the credentials Secret (when given) and then the instance, so the controller finds the
   * Secret as soon as it sees the instance. When the instance cannot be created the Secret is removed.
   */
  BookInstanceDefinition create(BookInstanceDefinition instance, Optional<Secret> credentials) {
    credentials.ifPresent(s -> client.secrets().inNamespace(s.getMetadata().getNamespace()).resource(s).create());
    BookInstanceDefinition created;
    try {
      created = client.resources(BookInstanceDefinition.class).inNamespace(namespace).resource(instance).create();
    } catch (KubernetesClientException e) {
      credentials.ifPresent(this::deleteQuietly);
      throw e;
    }
    String instanceId = SortKeys.label(created.getMetadata().getLabels(), BdkLabels.INSTANCE_ID);
    cache.awaitWrite(created, BY_ID, instanceId, true, cacheWait);
    return created;
  }

  Optional<BookInstanceDefinition> findById(String instanceId) {
    return cache.first(BY_ID, instanceId);
  }

  /**
   * Whether the API server holds a live instance of {@code bookId}: a direct list (a quorum read,
   * linearizable), not the cache, which may lag an instance another replica just created. Pages
   * until it finds one.
   */
  boolean anyLiveOfBookOnServer(String bookId) {
    String next = null;
    do {
      KubernetesResourceList<BookInstanceDefinition> page = client.resources(BookInstanceDefinition.class)
          .inNamespace(namespace).withLabel(BdkLabels.BOOK_ID, bookId)
          .list(new ListOptionsBuilder().withLimit(SERVER_PAGE).withContinue(next).build());
      if (page.getItems().stream().anyMatch(ResourceCache::isLive)) {
        return true;
      }
      next = page.getMetadata() == null ? null : page.getMetadata().getContinue();
    } while (next != null && !next.isEmpty());
    return false;
  }

  /** Instances of {@code bookId} after {@code after} (from the first when empty), in {@link InstanceKey#ORDER}. */
  Page<BookInstanceDefinition> list(String bookId, Optional<InstanceKey> after, int limit) {
    InstanceKey from = after.orElse(InstanceKey.first(bookId));
    return Page.of(cache.sorted().subMap(from, after.isEmpty(), InstanceKey.last(bookId), false), limit);
  }

  /** Deletes the instance, then its credentials Secret. */
  void delete(BookInstanceDefinition instance) {
    String name = instance.getMetadata().getName();
    client.resources(BookInstanceDefinition.class).inNamespace(namespace).withName(name).delete();
    String customerNamespace = instance.getSpec() == null || instance.getSpec().customer() == null
        ? null : instance.getSpec().customer().namespace();
    if (customerNamespace != null) {
      client.secrets().inNamespace(customerNamespace).withName(InstanceNames.credentialsSecret(name)).delete();
    }
    String instanceId = SortKeys.label(instance.getMetadata().getLabels(), BdkLabels.INSTANCE_ID);
    cache.awaitWrite(instance, BY_ID, instanceId, false, cacheWait);
  }

  private void deleteQuietly(Secret s) {
    try {
      client.secrets().inNamespace(s.getMetadata().getNamespace()).withName(s.getMetadata().getName()).delete();
    } catch (KubernetesClientException e) {
      log.warn("event=secret_cleanup_failed namespace={} name={} code={}",
          s.getMetadata().getNamespace(), s.getMetadata().getName(), e.getCode());
    }
  }

  @Override
  public void close() {
    cache.close();
  }
}
