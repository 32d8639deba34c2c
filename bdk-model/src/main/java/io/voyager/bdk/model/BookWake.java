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
  /** How often a writer records activity for an awake book at most (bounds API writes: 10,000 busy books ≈ 170 writes/s). */
  public static final Duration ACTIVITY_WRITE_INTERVAL = Duration.ofMinutes(1);
}
