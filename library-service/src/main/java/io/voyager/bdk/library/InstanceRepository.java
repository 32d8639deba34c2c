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
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * BookInstanceDefinitions and their credentials Secrets: writes go to the API server, reads come
 * from the informer cache (by instance id, and a book's instances from the sorted index) except the
 * instance check before a book is deleted, which asks the API server. Each write waits (bounded)
 * until the cache shows it, so the caller reads its own writes. Secret contents are never read here
 * ({@link CredentialsSecretWriter} reads one Secret for a rotation, never to answer a read).
 */
final class InstanceRepository implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(InstanceRepository.class);

  static final String BY_ID = "instance-id";
  static final String BY_CUSTOMER_NAMESPACE = "customer-namespace";
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
        Map.of(
            BY_ID, d -> List.of(SortKeys.label(d.getMetadata().getLabels(), BdkLabels.INSTANCE_ID)),
            BY_CUSTOMER_NAMESPACE, d -> List.of(customerNamespace(d)));
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

  /**
   * The instance named {@code name} as the API server holds it now (a quorum read): an update
   * starts from it, never from the cache, which may lag another replica's write.
   */
  Optional<BookInstanceDefinition> readFromServer(String name) {
    return Optional.ofNullable(client.resources(BookInstanceDefinition.class).inNamespace(namespace).withName(name).get());
  }

  /**
   * Replaces the instance only if the API server still holds the resourceVersion {@code updated}
   * carries (a compare-and-swap): empty when it changed since or is gone. Waits (bounded) until the
   * cache shows the write, so the caller reads it back.
   */
  Optional<BookInstanceDefinition> replaceIfUnchanged(BookInstanceDefinition updated) {
    BookInstanceDefinition written;
    try {
      written = client.resources(BookInstanceDefinition.class).inNamespace(namespace).resource(updated).update();
    } catch (KubernetesClientException e) {
      if (e.getCode() == java.net.HttpURLConnection.HTTP_CONFLICT || e.getCode() == java.net.HttpURLConnection.HTTP_NOT_FOUND) {
        return Optional.empty();
      }
      throw e;
    }
    awaitCached(written);
    return Optional.of(written);
  }

  /** Read-your-writes after an update: waits (bounded) until the cache holds {@code written}'s generation and annotations. */
  private void awaitCached(BookInstanceDefinition written) {
    String instanceId = SortKeys.label(written.getMetadata().getLabels(), BdkLabels.INSTANCE_ID);
    long generation = written.getMetadata().getGeneration() == null ? 0 : written.getMetadata().getGeneration();
    long revision = CredentialHistory.revision(written);
    if (!cache.await(() -> findById(instanceId).filter(c -> (c.getMetadata().getGeneration() == null ? 0 : c.getMetadata().getGeneration()) >= generation
        && CredentialHistory.revision(c) >= revision && cache.listed(c)).isPresent(), cacheWait)) {
      log.warn("event=cache_lag kind=BookInstanceDefinition {}={} waited_ms={}", BY_ID, instanceId, cacheWait.toMillis());
    }
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

  /**
   * Instances of {@code bookId} after {@code after} (from the first when empty), in {@link
   * InstanceKey#ORDER}, only those {@code visible} to the caller: a page is full unless the list
   * ends, and says "more" only when another visible instance follows.
   */
  Page<BookInstanceDefinition> list(String bookId, Optional<InstanceKey> after, int limit,
      Predicate<BookInstanceDefinition> visible) {
    InstanceKey from = after.orElse(InstanceKey.first(bookId));
    return Page.of(cache.sorted().subMap(from, after.isEmpty(), InstanceKey.last(bookId), false), limit, visible);
  }

  /**
   * The live instances in {@code namespaces}: from the API server by the customer-namespace label
   * (a quorum read, so it shows what another replica just created), plus what the cache holds there
   * (an instance written before the label existed). By metadata.name.
   */
  Map<String, BookInstanceDefinition> liveInNamespaces(Collection<String> namespaces) {
    Map<String, BookInstanceDefinition> found = new HashMap<>();
    // one equality selector per namespace (an Organization has few): every API server and the
    // fabric8 mock agree on those, while the mock ignores set-based ("in") selectors
    for (String ns : namespaces) {
      String next = null;
      do {
        KubernetesResourceList<BookInstanceDefinition> page = client.resources(BookInstanceDefinition.class)
            .inNamespace(namespace).withLabel(BdkLabels.CUSTOMER_NAMESPACE, ns)
            .list(new ListOptionsBuilder().withLimit(SERVER_PAGE).withContinue(next).build());
        page.getItems().stream().filter(ResourceCache::isLive).forEach(i -> found.put(i.getMetadata().getName(), i));
        next = page.getMetadata() == null ? null : page.getMetadata().getContinue();
      } while (next != null && !next.isEmpty());
      cache.byIndex(BY_CUSTOMER_NAMESPACE, ns).forEach(i -> found.putIfAbsent(i.getMetadata().getName(), i));
    }
    return found;
  }

  static String customerNamespace(BookInstanceDefinition d) {
    return d.getSpec() == null || d.getSpec().customer() == null || d.getSpec().customer().namespace() == null
        ? "" : d.getSpec().customer().namespace();
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
