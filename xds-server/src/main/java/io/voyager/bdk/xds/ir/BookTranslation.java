package io.voyager.bdk.xds.ir;

import io.voyager.bdk.xds.model.ServiceRef;
import java.util.List;

/** What one ExternalBookDefinition contributes: its webhook routes, or why it was refused. */
public sealed interface BookTranslation {
  String namespace();

  String name();

  /** The book's webhook routes (possibly none) to {@code backend}. */
  record Accepted(String namespace, String name, ServiceRef backend, List<WebhookRouteIr> routes)
      implements BookTranslation {
    public Accepted {
      routes = List.copyOf(routes);
    }
  }

  /** Refused as a whole; {@code reason} names the field(s) and the problem. Other books are unaffected. */
  record Rejected(String namespace, String name, String reason) implements BookTranslation {}

  /**
   * Valid, but held out of the gateway (no route, cluster or endpoints) because Envoy refused the
   * resources made from its current inputs; {@code reason} says so. Other books are unaffected.
   */
  record HeldOut(String namespace, String name, String reason) implements BookTranslation {}
}
