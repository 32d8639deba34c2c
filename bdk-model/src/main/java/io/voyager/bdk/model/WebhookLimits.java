package io.voyager.bdk.model;

import java.util.Optional;

/**
 * The caps on the numbers a tenant sets on a webhook integration, in one place. The library's
 * request validation, the CRD schemas ({@code @Min}/{@code @Max} on the model), the
 * book-controller's instance validation, the xds-server's translation of ExternalBookDefinitions
 * and ext-authz's route parsing all call these, so a value one accepts the others accept.
 *
 * <p>Why these numbers:
 * <ul>
 *   <li>tolerance 1 s – 1 h: a signed timestamp older than an hour is no longer "fresh", and the
 *       replay memory holds each delivery for twice the tolerance, so the window bounds that memory;
 *   <li>rate up to 100 requests/s and burst up to 1,000 per endpoint: one book's webhooks; at the
 *       cap and the default tolerance an endpoint remembers at most (1,000 + 100 × 600) deliveries,
 *       which fits its share of ext-authz's replay memory (see {@code BoundedReplayStore});
 *   <li>body 1 KiB – 1 MiB: the gateway buffers at most 1 MiB for a signature check
 *       ({@link #MAX_BODY_BYTES}, the xds-server's default {@code --max-request-bytes}); an
 *       integration may only lower that. Below 1 KiB is almost surely a unit mistake.
 * </ul>
 * Each {@code …Problem} method returns why a value is out of range (for the caller to prefix with
 * its field name), or empty when it is fine.
 */
public final class WebhookLimits {
  private WebhookLimits() {}

  public static final int MIN_TOLERANCE_SECONDS = 1;
  public static final int MAX_TOLERANCE_SECONDS = 3600;
  /** Exclusive lower bound: a rate must be positive. */
  public static final double MIN_REQUESTS_PER_SECOND_EXCLUSIVE = 0;
  public static final double MAX_REQUESTS_PER_SECOND = 100;
  public static final int MIN_BURST = 1;
  public static final int MAX_BURST = 1000;
  public static final int MIN_BODY_BYTES = 1024;
  /** The most any webhook route buffers for its signature check (1 MiB). */
  public static final int MAX_BODY_BYTES = 1024 * 1024;

  public static Optional<String> toleranceSecondsProblem(long seconds) {
    if (seconds < MIN_TOLERANCE_SECONDS || seconds > MAX_TOLERANCE_SECONDS) {
      return Optional.of("must be from " + MIN_TOLERANCE_SECONDS + " to " + MAX_TOLERANCE_SECONDS
          + " seconds (1 h); got " + seconds);
    }
    return Optional.empty();
  }

  public static Optional<String> requestsPerSecondProblem(double requestsPerSecond) {
    if (!(requestsPerSecond > MIN_REQUESTS_PER_SECOND_EXCLUSIVE) || requestsPerSecond > MAX_REQUESTS_PER_SECOND) {
      return Optional.of("must be a number above 0 and at most " + decimal(MAX_REQUESTS_PER_SECOND) + "; got "
          + decimal(requestsPerSecond));
    }
    return Optional.empty();
  }

  public static Optional<String> burstProblem(long burst) {
    if (burst < MIN_BURST || burst > MAX_BURST) {
      return Optional.of("must be from " + MIN_BURST + " to " + MAX_BURST + "; got " + burst);
    }
    return Optional.empty();
  }

  public static Optional<String> maxBodyBytesProblem(long bytes) {
    if (bytes < MIN_BODY_BYTES || bytes > MAX_BODY_BYTES) {
      return Optional.of("must be from " + MIN_BODY_BYTES + " to " + MAX_BODY_BYTES + " bytes (1 MiB, the gateway's maximum); got "
          + bytes);
    }
    return Optional.empty();
  }

  private static String decimal(double value) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      return Double.toString(value);
    }
    return new java.math.BigDecimal(Double.toString(value)).stripTrailingZeros().toPlainString();
  }
}
