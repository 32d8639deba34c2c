package io.voyager.bdk.relay;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What the relay knows about one webhook's delivery, kept in the key-value bucket under
 * {@link DeliveryRecords#key}: what {@code bdkctl webhook deliveries} lists. {@code sequence} is
 * the work-stream message the attempts belong to (a replay is a new message, so its attempts count
 * from zero again).
 */
public record DeliveryRecord(
    @JsonProperty("webhook_id") String webhookId,
    String instance,
    String integration,
    String state,
    int attempts,
    @JsonProperty("last_status") Integer lastStatus,
    @JsonProperty("last_error") String lastError,
    @JsonProperty("next_attempt_at") String nextAttemptAt,
    @JsonProperty("received_at") String receivedAt,
    @JsonProperty("updated_at") String updatedAt,
    long sequence) {

  /** The states a delivery goes through. */
  public static final String DELIVERING = "delivering";
  /** Its book sleeps when idle and is waking: the relay asked it to wake and waits (not an attempt). */
  public static final String WAKING = "waking";
  public static final String RETRYING = "retrying";
  public static final String DELIVERED = "delivered";
  public static final String DEAD_LETTERED = "dead_lettered";
  public static final String REPLAYED = "replayed";
}
