package io.voyager.bdk.samplebook;

import java.time.Instant;

/**
 * What the sample book remembers about one webhook it received: the routing facts Envoy and
 * ext-authz attached, and the body's size and type — never the body itself and never a signature.
 * Header-derived fields are null when the header was absent.
 *
 * @param backend name of the sample book that received it (for a local runtime: the Deployment)
 * @param receivedAt when the request arrived
 * @param path request path as the book saw it
 * @param webhookId {@code x-bdk-webhook-id}
 * @param routedTo {@code x-bdk-routed-to}: {@code customer-namespace/book}
 * @param instance {@code x-bdk-instance}: the tenant a shared deployment handled
 * @param integration {@code x-bdk-integration}
 * @param bodyBytes size of the body in bytes
 * @param contentType {@code Content-Type} of the body
 */
public record ReceivedWebhook(
    String backend,
    Instant receivedAt,
    String path,
    String webhookId,
    String routedTo,
    String instance,
    String integration,
    long bodyBytes,
    String contentType) {}
