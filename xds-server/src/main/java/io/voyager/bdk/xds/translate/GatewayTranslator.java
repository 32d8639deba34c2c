package io.voyager.bdk.xds.translate;

import io.voyager.bdk.xds.ir.BookTranslation;
import io.voyager.bdk.xds.ir.BookTranslator;
import io.voyager.bdk.xds.ir.GatewayIr;
import io.voyager.bdk.xds.ir.GatewayIrBuilder;
import io.voyager.bdk.xds.model.BookSource;
import io.voyager.bdk.xds.model.GatewayInput;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The whole pipeline as one pure function: model → IR ({@link BookTranslator},
 * {@link GatewayIrBuilder}) → xDS ({@link XdsTranslator}). {@link IncrementalTranslator} computes
 * the same result reusing unchanged books' work.
 */
public final class GatewayTranslator {
  private final XdsTranslator xds;

  public GatewayTranslator(XdsTranslator xds) {
    this.xds = xds;
  }

  public Translation translate(GatewayInput input) {
    List<BookTranslation> books = new ArrayList<>();
    List<BookTranslation.Accepted> accepted = new ArrayList<>();
    List<BookSource> sorted = new ArrayList<>(input.books());
    sorted.sort(Comparator.comparing(BookSource::key));
    for (BookSource book : sorted) {
      String heldOut = input.heldOutReason(book);
      BookTranslation t = heldOut != null
          ? new BookTranslation.HeldOut(book.namespace(), book.name(), heldOut)
          : BookTranslator.translate(book);
      books.add(t);
      if (t instanceof BookTranslation.Accepted a) {
        accepted.add(a);
      }
    }
    GatewayIr ir = GatewayIrBuilder.build(input.settings(), input.jwks(), input.edgeCertificate(), accepted, input::slicesOf);
    return new Translation(xds.translate(ir), books);
  }
}
