package io.voyager.bdk.extauthz.scheme;

import java.time.Instant;

/**
 * What a sender signs: the body, one secret (as stored in the Secret), the signing time and a
 * delivery id (schemes that send none ignore it).
 */
public record SigningInput(byte[] body, String secret, Instant timestamp, String id) {}
