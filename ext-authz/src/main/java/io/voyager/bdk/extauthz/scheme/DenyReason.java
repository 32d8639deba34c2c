package io.voyager.bdk.extauthz.scheme;

import java.util.Locale;

/**
 * Why ext-authz refused a webhook: the machine-readable {@code reason} of the JSON denial body and
 * the HTTP status Envoy answers with.
 *
 * <p>A replay is answered 409 Conflict, not 401: the request is authentic (its signature
 * verified), it is just a delivery the book already received within the replay window. 409 tells
 * an honest sender "already accepted" and an operator reading logs "duplicate", not "forged".
 */
public enum DenyReason {
  MISSING_SIGNATURE(401),
  MISSING_HEADER(401),
  MALFORMED_SIGNATURE(401),
  MALFORMED_HEADER(401),
  DUPLICATE_HEADER(401),
  SIGNATURE_MISMATCH(401),
  TIMESTAMP_OUT_OF_TOLERANCE(401),
  REPLAY(409),
  RATE_LIMITED(429),
  /**
   * The request matched no route (Envoy sent no context_extensions at all): a path under the
   * webhook prefix that no book has. The gateway's ext_authz filters are on by default (fail
   * closed), so such a request is checked here and refused 404, as Envoy would.
   */
  NO_ROUTE(404),
  /** The route's context_extensions are missing or invalid: a gateway misconfiguration. */
  INVALID_ROUTE_CONFIG(500),
  /** The Secret named by the route does not exist or holds no usable secret. */
  SECRET_UNAVAILABLE(503),
  /**
   * The book sleeps when idle and did not become ready while the webhook was held: answered with
   * Retry-After, and not recorded as delivered, so the sender's retry is accepted.
   */
  BOOK_WAKING(503),
  /**
   * The replay and rate-limit state shared by the replicas (NATS JetStream key-value) could not be
   * read or written in time: refused (fail closed) and nothing recorded, so the sender's retry is
   * accepted once the state is reachable again.
   */
  STATE_UNAVAILABLE(503),
  INTERNAL_ERROR(500);

  private final int httpStatus;

  DenyReason(int httpStatus) {
    this.httpStatus = httpStatus;
  }

  public int httpStatus() {
    return httpStatus;
  }

  /**
   * Whether the denial's message may go to the sender. Problems on the gateway's side (its route
   * config, its Secret) are the operator's business: the sender sees the reason code and a generic
   * message, and the details (namespace, Secret and key names) go to the log only.
   */
  public boolean senderMaySeeDetails() {
    return httpStatus < 500 || this == BOOK_WAKING;
  }

  /** The snake_case code used in JSON bodies and metric tags, e.g. {@code signature_mismatch}. */
  public String code() {
    return name().toLowerCase(Locale.ROOT);
  }
}
