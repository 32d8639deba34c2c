package io.voyager.bdk.samplebook;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The answer to a received webhook, as in the seed ({@code webhook_id}, {@code processed},
 * {@code routed_to}, {@code processing_time_ms}), plus {@code instance} — the tenant a shared
 * deployment handled, when the gateway named one — and {@code handled_by}, the backend's name.
 */
public record WebhookAck(
    String webhookId,
    boolean processed,
    String routedTo,
    @JsonInclude(JsonInclude.Include.NON_NULL) String instance,
    String handledBy,
    long processingTimeMs) {}
