package io.voyager.bdk.model;

import java.time.Duration;

/**
 * How a webhook-triggered book sleeps and wakes, agreed between the book-controller, ext-authz and
 * the webhook relay. The only channel is one {@code coordination.k8s.io/v1} Lease per book in its
 * customer namespace, made by the controller and named in the ExternalBookDefinition
 * ({@code spec.wake.lease}), so no service calls another:
 * <ul>
 *   <li>{@value #LAST_WEBHOOK} (written by ext-authz, or the relay for queued delivery): the RFC 3339
 *       time of the latest webhook accepted for the book — the activity record the controller's idle
 *       timer reads, written at most once per {@link #ACTIVITY_WRITE_INTERVAL} per writer while the
 *       book is awake, and at once while it is not: that write is the wake-up call.</li>
 *   <li>{@value #READY} (written by the controller): {@code "true"} while the book has a ready
 *       replica, else {@code "false"}; a held webhook is released when it turns true.</li>
 * </ul>
 * The Lease carries the label {@value #LEASE_LABEL}{@code =true}, which ext-authz's informer selects.
 */
public final class BookWake {
  private BookWake() {}

  /** Label (value {@code "true"}) on every wake Lease. */
  public static final String LEASE_LABEL = "bdk.voyager.io/wake-lease";
  /** Annotation: RFC 3339 time of the latest accepted webhook. */
  public static final String LAST_WEBHOOK = "bdk.voyager.io/last-webhook";
  /** Annotation: {@code "true"} while the book serves, {@code "false"} while it sleeps or wakes. */
  public static final String READY = "bdk.voyager.io/ready";
  /**
   * Request header Envoy sets (overwriting anything a sender sent) on a {@code queued} binding's
   * webhook of a book that sleeps when idle: {@code <namespace>/<lease>}, the book's wake Lease. The
   * relay keeps it with the queued message and, before each delivery, asks the Lease whether the
   * book is ready — and wakes it when it is not. (A direct binding's Lease reaches ext-authz in the
   * route's context extensions instead, {@link WebhookAuthContext#WAKE_LEASE}.)
   */
  public static final String HEADER_WAKE_LEASE = "x-bdk-wake-lease";

  /**
   * The problem with a {@link #HEADER_WAKE_LEASE} value for a webhook of {@code instanceNamespace},
   * or null: it must be {@code <namespace>/<name>} with the instance's own customer namespace and a
   * DNS-label name. Never echoes the value.
   */
  public static String leaseProblem(String value, String instanceNamespace) {
    int slash = value == null ? -1 : value.indexOf('/');
    if (slash <= 0) {
      return "header " + HEADER_WAKE_LEASE + " must be <namespace>/<lease>";
    }
    String namespace = value.substring(0, slash);
    if (!namespace.equals(instanceNamespace) || !CustomerNamespaces.isCustomerNamespace(namespace)) {
      return "header " + HEADER_WAKE_LEASE + " must name a Lease in the webhook's own customer namespace";
    }
    if (!DnsNames.isLabel(value.substring(slash + 1))) {
      return "header " + HEADER_WAKE_LEASE + " must name the Lease by a DNS label";
    }
    return null;
  }

  /** How often a writer records activity for an awake book at most (bounds API writes: 10,000 busy books ≈ 170 writes/s). */
  public static final Duration ACTIVITY_WRITE_INTERVAL = Duration.ofMinutes(1);
}
