package io.voyager.bdk.model;

import java.util.List;

/**
 * Keys of the ext_authz {@code context_extensions} that the xds-server sets on every webhook route
 * and ext-authz reads. ext-authz keeps no route table: everything it needs to verify a request
 * arrives in these keys. Values are strings; absent optional keys take ext-authz's documented
 * defaults.
 */
public final class WebhookAuthContext {
  private WebhookAuthContext() {}

  /** github, stripe, slack, shopify, zendesk, standard or hmac: one of {@link #SCHEMES}. */
  public static final String SCHEME = "scheme";

  /** The signature schemes ext-authz verifies (Standard Webhooks is {@code standard}). */
  public static final List<String> SCHEMES =
      List.of("github", "stripe", "slack", "shopify", "zendesk", "standard", "hmac");
  /** Namespace, name and key of the Secret whose value holds the signing secret(s), one per line. */
  public static final String SECRET_NAMESPACE = "secret_namespace";
  public static final String SECRET_NAME = "secret_name";
  public static final String SECRET_KEY = "secret_key";
  /** Seconds a signed timestamp may be away from now (past or future). */
  public static final String TOLERANCE_SECONDS = "tolerance_seconds";
  /** Token bucket refill rate (requests per second, decimal) and size. */
  public static final String RATE_PER_SECOND = "rate_per_second";
  public static final String BURST = "burst";
  /** Unique key of this endpoint: rate-limit bucket and replay-window namespace. */
  public static final String ENDPOINT_KEY = "endpoint_key";
  /** {@code namespace/name} of the ExternalBookDefinition and the integration's name. */
  public static final String INSTANCE = "instance";
  public static final String INTEGRATION = "integration";
  /** What the seed's response calls {@code routed_to}: {@code customer-namespace/book}. */
  public static final String ROUTED_TO = "routed_to";
  /**
   * {@code namespace/name} of the book's wake Lease ({@link BookWake}), set only for a book that
   * sleeps when idle: ext-authz records the book's webhooks there and, while the book is not
   * ready, asks it to wake and holds the webhook until it is (or answers 503 with Retry-After).
   */
  public static final String WAKE_LEASE = "wake_lease";
  /** Generic HMAC scheme options (see {@link Hmac}). */
  public static final String HMAC_ALGORITHM = "hmac_algorithm";
  public static final String HMAC_HEADER = "hmac_header";
  public static final String HMAC_PREFIX = "hmac_prefix";
  public static final String HMAC_ENCODING = "hmac_encoding";
  public static final String HMAC_PAYLOAD = "hmac_payload";
  public static final String HMAC_TIMESTAMP_HEADER = "hmac_timestamp_header";

  /** Headers ext-authz adds to an allowed request on its way to the book. */
  public static final String HEADER_WEBHOOK_ID = "x-bdk-webhook-id";
  public static final String HEADER_ROUTED_TO = "x-bdk-routed-to";
  public static final String HEADER_INSTANCE = "x-bdk-instance";
  public static final String HEADER_INTEGRATION = "x-bdk-integration";
  /**
   * Added by ext-authz to an allowed webhook: the delivery's replay digests (hex, comma-separated;
   * SHA-256 of endpoint and key, not the keys). Envoy's delivery-failure access log sends it back
   * to ext-authz when the book did not answer or answered 5xx, and ext-authz forgets those digests.
   */
  public static final String HEADER_REPLAY_RELEASE = "x-bdk-replay-release";
}
