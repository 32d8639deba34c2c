package io.voyager.bdk.library;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.voyager.bdk.library.SortKeys.BookKey;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookDefinition;
import java.net.HttpURLConnection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * BookDefinitions: writes go to the API server, reads come from the informer cache. Each write
 * waits (bounded) until the cache shows it, so the caller reads its own writes. The conditional
 * writes and the direct read serve {@link BookDeletionGuard}.
 */
final class BookRepository implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BookRepository.class);

  static final String BY_ID = "book-id";
  static final String BY_NAME_VERSION = "name-version";

  private final KubernetesClient client;
  private final String namespace;
  private final ResourceCache<BookDefinition, BookKey> cache;
  private final Duration cacheWait;

  BookRepository(KubernetesClient client, String namespace, Duration cacheWait) {
    this.client = client;
    this.namespace = namespace;
    this.cacheWait = cacheWait;
    Map<String, Function<BookDefinition, List<String>>> indexers =
        Map.of(
            BY_ID, d -> List.of(SortKeys.label(d.getMetadata().getLabels(), BdkLabels.BOOK_ID)),
            BY_NAME_VERSION, d -> d.getSpec() == null ? List.of() : List.of(nameVersion(d.getSpec().name(), d.getSpec().version())));
    this.cache =
        new ResourceCache<>(
            client.resources(BookDefinition.class).inNamespace(namespace).runnableInformer(0),
            indexers,
            BookKey::of,
            BookKey.ORDER);
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

  /** Creates {@code book}; ALREADY_EXISTS when a book with its name and version exists. */
  BookDefinition create(BookDefinition book) {
    String name = book.getSpec().name();
    String version = book.getSpec().version();
    if (findByNameVersion(name, version).isPresent()) {
      throw duplicate(name, version);
    }
    BookDefinition created;
    try {
      created = client.resources(BookDefinition.class).inNamespace(namespace).resource(book).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        throw duplicate(name, version);
      }
      throw e;
    }
    String bookId = SortKeys.label(created.getMetadata().getLabels(), BdkLabels.BOOK_ID);
    cache.awaitWrite(created, BY_ID, bookId, true, cacheWait);
    return created;
  }

  Optional<BookDefinition> findById(String bookId) {
    return cache.first(BY_ID, bookId);
  }

  Optional<BookDefinition> findByNameVersion(String name, String version) {
    return cache.first(BY_NAME_VERSION, nameVersion(name, version));
  }

  /** Books after {@code after} (all when empty), in {@link BookKey#ORDER}. */
  Page<BookDefinition> list(Optional<BookKey> after, int limit) {
    var view = after.isPresent() ? cache.sorted().tailMap(after.get(), false) : cache.sorted();
    return Page.of(view, limit);
  }

  /**
   * The book named {@code name} as the API server holds it now: a direct read (linearizable), not
   * the cache, which may lag a write another replica just made.
   */
  Optional<BookDefinition> readFromServer(String name) {
    return Optional.ofNullable(client.resources(BookDefinition.class).inNamespace(namespace).withName(name).get());
  }

  /**
   * Replaces {@code book} only if the API server still holds the resourceVersion it carries
   * (optimistic concurrency); empty when the book changed since or is gone.
   */
  Optional<BookDefinition> replaceIfUnchanged(BookDefinition book) {
    try {
      return Optional.of(client.resources(BookDefinition.class).inNamespace(namespace).resource(book).update());
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT || e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /**
   * Deletes {@code book} only if the API server still holds the resourceVersion it carries (a
   * delete precondition); false when the book changed since. Then waits until the cache drops it.
   */
  boolean deleteIfUnchanged(BookDefinition book) {
    String name = book.getMetadata().getName();
    try {
      client.resources(BookDefinition.class).inNamespace(namespace).withName(name)
          .lockResourceVersion(book.getMetadata().getResourceVersion()).delete();
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        return false;
      }
      throw e;
    }
    String bookId = SortKeys.label(book.getMetadata().getLabels(), BdkLabels.BOOK_ID);
    cache.awaitWrite(book, BY_ID, bookId, false, cacheWait);
    return true;
  }

  /** Read-your-writes after a metadata change: waits (bounded) until the cache shows the book settled or gone. */
  void awaitCached(String bookId, Predicate<BookDefinition> settled) {
    if (!cache.await(() -> findById(bookId).map(settled::test).orElse(true), cacheWait)) {
      log.warn("event=cache_lag kind=BookDefinition {}={} waited_ms={}", BY_ID, bookId, cacheWait.toMillis());
    }
  }

  @Override
  public void close() {
    cache.close();
  }

  private static String nameVersion(String name, String version) {
    return name + "\n" + version;
  }

  private static ApiException duplicate(String name, String version) {
    return ApiException.alreadyExists(
        "a book named " + RequestValidator.quoted(name) + " with version " + RequestValidator.quoted(version) + " already exists");
  }
}
