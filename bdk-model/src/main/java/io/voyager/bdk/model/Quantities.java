package io.voyager.bdk.model;

import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The rule for Kubernetes resource quantities ({@code 500m}, {@code 1Gi}, {@code 0.5}, {@code 1e3}):
 * the API server's grammar, never negative. One home for the controller's instance and
 * Organization checks and for anything that sums quantities (their value in cores or bytes).
 */
public final class Quantities {
  private Quantities() {}

  /** Kubernetes' quantity grammar (apimachinery's: a signed decimal, then a binary or decimal suffix or an exponent). */
  private static final String NUMBER = "(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))";
  private static final String SUFFIX = "(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?[0-9]+))?";
  private static final Pattern GRAMMAR = Pattern.compile("^[+-]?" + NUMBER + SUFFIX + "$");
  /** A quantity that is not negative, as the CRD schemas' pattern: what {@link #problem} accepts. */
  public static final String PATTERN = "^\\+?" + NUMBER + SUFFIX + "$";
  private static final Pattern NON_NEGATIVE = Pattern.compile(PATTERN);

  /** Why {@code value} is not a usable quantity, or empty when it is one. */
  public static Optional<String> problem(String value) {
    if (value == null) {
      return Optional.of("is required");
    }
    try {
      if (parse(value).signum() < 0 || value.startsWith("-")) {
        return Optional.of("'" + brief(value) + "' must not be negative");
      }
      if (!NON_NEGATIVE.matcher(value).matches()) {
        throw new IllegalArgumentException("not a Kubernetes quantity");
      }
      return Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.of("'" + brief(value) + "' is not a Kubernetes quantity (e.g. 500m, 1Gi)");
    }
  }

  /**
   * The amount in base units (cores for CPU, bytes for memory).
   *
   * @throws IllegalArgumentException when {@code value} is not a Kubernetes quantity
   */
  public static BigDecimal parse(String value) {
    if (value == null || !GRAMMAR.matcher(value).matches()) {
      throw new IllegalArgumentException("not a Kubernetes quantity: " + (value == null ? "null" : brief(value)));
    }
    try {
      return Quantity.getAmountInBytes(new Quantity(value));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not a Kubernetes quantity: " + brief(value), e);
    }
  }

  /** Whether two valid quantities are the same amount ({@code 0.5} and {@code 500m}; {@code 1Gi} and {@code 1024Mi}). */
  public static boolean sameAmount(String a, String b) {
    try {
      return a != null && b != null && parse(a).compareTo(parse(b)) == 0;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static String brief(String value) {
    return value.length() > 64 ? value.substring(0, 64) + "…" : value;
  }
}
