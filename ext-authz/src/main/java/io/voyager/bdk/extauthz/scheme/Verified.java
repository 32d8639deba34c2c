package io.voyager.bdk.extauthz.scheme;

/**
 * An authentic webhook.
 *
 * @param deliveryId the provider's delivery id when it sends one (null otherwise)
 * @param replayKey what identifies this delivery for replay protection: a signed id when the
 *     scheme signs one, else the provider's delivery id, else the verified signature itself
 */
public record Verified(String deliveryId, String replayKey) {}
