package io.voyager.bdk.xds.nack;

import io.voyager.bdk.xds.ir.BookTranslation;
import io.voyager.bdk.xds.model.BookSource;
import io.voyager.bdk.xds.model.EndpointSliceView;
import io.voyager.bdk.xds.model.GatewayInput;
import io.voyager.bdk.xds.model.ServiceKey;
import io.voyager.bdk.xds.translate.PublishedTranslation;
import java.util.List;
import java.util.Optional;

/**
 * Everything one book's Envoy resources are made from — what the incremental translator caches
 * per book and per backend: the book's {@link BookSource} and the EndpointSlices of its backend
 * Service. Equal inputs give equal resources (the translator is pure), so a quarantine keyed by
 * them lasts exactly until the user changes something that can change the outcome. Pure.
 */
public record BookInputs(BookSource source, ServiceKey backend, List<EndpointSliceView> slices) {
  public BookInputs {
    slices = List.copyOf(slices);
  }

  /** The inputs {@code book}'s resources in {@code published} were made from; empty when it contributed none. */
  public static Optional<BookInputs> of(NackAttribution.BookRef book, PublishedTranslation published) {
    for (BookTranslation t : published.translation().books()) {
      if (t instanceof BookTranslation.Accepted a && a.namespace().equals(book.namespace()) && a.name().equals(book.name())) {
        return sourceOf(book, published.input())
            .map(source -> current(source, a.backend().key(), published.input()));
      }
    }
    return Optional.empty();
  }

  /** What {@code source}'s resources would be made from in {@code input}, its backend being {@code backend}. */
  public static BookInputs current(BookSource source, ServiceKey backend, GatewayInput input) {
    return new BookInputs(source, backend, input.slicesOf(backend));
  }

  private static Optional<BookSource> sourceOf(NackAttribution.BookRef book, GatewayInput input) {
    return Optional.ofNullable(input.book(book.namespace() + "/" + book.name()));
  }
}
