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

/**
 * BookDefinitions: writes go to the API server, reads come from the informer cache. Each write
 * waits (bounded) until the cache shows it, so the caller reads its own writes.
 */
final class BookRepository implements AutoCloseable {
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

  void delete(BookDefinition book) {
    String name = book.getMetadata().getName();
    client.resources(BookDefinition.class).inNamespace(namespace).withName(name).delete();
    String bookId = SortKeys.label(book.getMetadata().getLabels(), BdkLabels.BOOK_ID);
    cache.awaitWrite(book, BY_ID, bookId, false, cacheWait);
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
