package io.voyager.bdk.controller.status;

import io.voyager.bdk.model.BookInstanceDefinitionStatus;
import io.voyager.bdk.model.Condition;
import io.voyager.bdk.model.Conditions;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.model.ExternalBookDefinitionStatus;
import io.voyager.bdk.model.WebhookEndpoint;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What the gateway says about an instance's webhooks, as the xds-server wrote it into the
 * instance's ExternalBookDefinition status: the public paths it actually routes ({@code webhooks})
 * and its {@value #CONDITION} condition (True, or False with the reason and message naming why).
 * The controller mirrors both into the instance's status, so the library service can report a
 * path only when the gateway serves it, without reading ExternalBookDefinitions itself. Before the
 * xds-server has written anything there is no verdict: no routed paths and no condition. Pure.
 */
public record GatewayVerdict(List<WebhookEndpoint> routed, Optional<Condition> condition) {

  /** The condition type the xds-server writes (its {@code StatusWriter.CONDITION}). */
  public static final String CONDITION = "WebhooksRouted";

  static final GatewayVerdict NONE = new GatewayVerdict(List.of(), Optional.empty());

  public GatewayVerdict {
    routed = routed == null ? List.of() : List.copyOf(routed);
  }

  /** The verdict shown on {@code book}'s status; {@link #NONE} without a book or before the xds-server wrote. */
  public static GatewayVerdict of(Optional<ExternalBookDefinition> book) {
    ExternalBookDefinitionStatus status = book.map(ExternalBookDefinition::getStatus).orElse(null);
    if (status == null) {
      return NONE;
    }
    Optional<Condition> condition = status.conditions() == null ? Optional.empty()
        : status.conditions().stream().filter(c -> CONDITION.equals(c.type()) && c.status() != null).findFirst();
    return new GatewayVerdict(status.webhooks(), condition);
  }

  /**
   * The mirrored condition as the instance shows it: the gateway's status, reason and message, the
   * instance's {@code generation}; its {@code last_transition} stays what the instance already shows
   * while the status is unchanged, else the gateway's own (or {@code now} if it gave none).
   */
  Optional<Condition> instanceCondition(BookInstanceDefinitionStatus previous, Long generation, Instant now) {
    return condition.map(gateway -> {
      String since = Conditions.since(previous == null ? null : previous.conditions(), CONDITION,
          gateway.status(), gateway.lastTransition() == null ? now.toString() : gateway.lastTransition());
      return new Condition(CONDITION, gateway.status(), gateway.reason(),
          Conditions.truncated(gateway.message()), since, generation);
    });
  }
}
