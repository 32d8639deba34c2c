package io.voyager.bdk.model;

import java.util.List;
import java.util.Optional;

/**
 * The rules of an instance's credentials, in one place: where each value comes from ({@code
 * source}), what the library generates, which credential Tailscale needs, and how long a rotated
 * webhook signing secret may keep its previous value.
 *
 * <ul>
 *   <li>{@code manual}: the caller sends the value (required on create), the library writes it into
 *       the instance's credentials Secret ({@link InstanceNames#credentialsSecret}). An absent source
 *       means manual.
 *   <li>{@code generated}: the library generates {@value #GENERATED_BYTES} random bytes (a
 *       {@code SecureRandom}), base64url without padding — {@code whsec_} and standard base64 for a
 *       credential a {@code standard} (Standard Webhooks) binding signs with — writes it, and returns
 *       it exactly once, in the answer of the call that generated it. A value sent with it is refused.
 *   <li>{@code external}: managed outside the platform (e.g. External Secrets writing the key into
 *       the credentials Secret); the library writes nothing for it and refuses a value, and the
 *       instance waits until the key exists.
 * </ul>
 */
public final class InstanceCredentials {
  private InstanceCredentials() {}

  public static final String MANUAL = "manual";
  public static final String GENERATED = "generated";
  public static final String EXTERNAL = "external";
  public static final List<String> SOURCES = List.of(EXTERNAL, GENERATED, MANUAL);

  /** Random bytes in a generated value (256 bits). */
  public static final int GENERATED_BYTES = 32;

  /** The credential whose value the Tailscale sidecar joins the tailnet with. */
  public static final String TAILSCALE_AUTH_KEY = "tailscale_auth_key";

  /** The longest a rotated webhook signing secret's previous value may keep verifying: 7 days. */
  public static final int MAX_OVERLAP_SECONDS = 7 * 24 * 3600;

  /** The source a credential has when none is given. */
  public static String sourceOrDefault(String source) {
    return source == null || source.isEmpty() ? MANUAL : source;
  }

  /** Why {@code seconds} is not an overlap a rotation may ask for, or empty. */
  public static Optional<String> overlapSecondsProblem(long seconds) {
    if (seconds < 0 || seconds > MAX_OVERLAP_SECONDS) {
      return Optional.of("must be from 0 to " + MAX_OVERLAP_SECONDS + " seconds (7 days); got " + seconds);
    }
    return Optional.empty();
  }
}
