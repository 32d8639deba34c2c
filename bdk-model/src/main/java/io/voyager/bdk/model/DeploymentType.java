package io.voyager.bdk.model;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/** The deployment patterns of the customer-deployments seed, as {@code spec.deployment.type} spells them. */
public enum DeploymentType {
  /** The book's main Deployment; named after the instance. */
  PRIMARY("primary"),
  /** An auxiliary Deployment beside a primary; its names and labels carry {@code -secondary}. */
  SECONDARY("secondary"),
  /** One Deployment per (customer namespace, book) serving every shared instance of that book. */
  SHARED("shared"),
  /** Polls external providers; receives no traffic, so no Service and no webhook route. */
  LONG_POLLING("long-polling"),
  /** Started by webhooks the gateway routes to it. */
  WEBHOOK_TRIGGERED("webhook-triggered");

  private final String wireName;

  DeploymentType(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  /** Whether the book receives traffic (webhooks or API calls) and so gets a Service. */
  public boolean receivesTraffic() {
    return this != LONG_POLLING;
  }

  /** {@code null} or empty means primary; an unknown name is empty. */
  public static Optional<DeploymentType> parse(String name) {
    if (name == null || name.isEmpty()) {
      return Optional.of(PRIMARY);
    }
    return Arrays.stream(values()).filter(t -> t.wireName.equals(name)).findFirst();
  }

  public static String allNames() {
    return Arrays.stream(values()).map(DeploymentType::wireName).collect(Collectors.joining(", "));
  }
}
