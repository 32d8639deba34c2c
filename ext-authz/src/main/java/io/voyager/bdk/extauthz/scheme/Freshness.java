package io.voyager.bdk.extauthz.scheme;

import java.time.Duration;
import java.time.Instant;

/**
 * The replay window for signed timestamps: a timestamp more than {@code tolerance} before or
 * after {@code now} is refused.
 */
public record Freshness(Instant now, Duration tolerance) {

  /** Parses a Unix-seconds timestamp header and checks it is within tolerance. */
  public long requireEpochSeconds(String header, String value) {
    long seconds;
    try {
      seconds = Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new WebhookDenied(DenyReason.MALFORMED_HEADER, "header " + header + " is not a Unix timestamp in seconds");
    }
    requireWithin(header, seconds);
    return seconds;
  }

  public void requireWithin(String header, long epochSeconds) {
    long skew = epochSeconds - now.getEpochSecond();
    if (skew < -tolerance.toSeconds()) {
      throw new WebhookDenied(DenyReason.TIMESTAMP_OUT_OF_TOLERANCE,
          "header " + header + " is " + (-skew) + " s in the past; tolerance is " + tolerance.toSeconds() + " s");
    }
    if (skew > tolerance.toSeconds()) {
      throw new WebhookDenied(DenyReason.TIMESTAMP_OUT_OF_TOLERANCE,
          "header " + header + " is " + skew + " s in the future; tolerance is " + tolerance.toSeconds() + " s");
    }
  }
}
