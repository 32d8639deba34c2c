package io.voyager.bdk.extauthz;

import io.voyager.bdk.extauthz.scheme.DenyReason;
import io.voyager.bdk.extauthz.scheme.Header;
import java.util.List;

/** The decision on one webhook, before it is turned into Envoy's CheckResponse. */
public sealed interface CheckOutcome {
  /** The scheme checked ("unknown" when the route context named none). */
  String scheme();

  /**
   * Forward to the book.
   *
   * @param upstreamHeaders set (overwriting any the sender sent) on the request to the book
   * @param responseHeaders added to the response the sender sees
   */
  record Allowed(String scheme, String webhookId, List<Header> upstreamHeaders, List<Header> responseHeaders) implements CheckOutcome {}

  /** Refuse; {@code headers} go on the denial (e.g. Retry-After). */
  record Denied(String scheme, DenyReason reason, String message, List<Header> headers) implements CheckOutcome {}
}
