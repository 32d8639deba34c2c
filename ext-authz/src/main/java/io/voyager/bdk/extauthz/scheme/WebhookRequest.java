package io.voyager.bdk.extauthz.scheme;

/** What a scheme verifies: the request's headers and the exact body bytes. */
public record WebhookRequest(RequestHeaders headers, byte[] body) {}
