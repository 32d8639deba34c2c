package io.voyager.bdk.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** Status of a {@link BookInstanceDefinition}, as in the BDK seed; written by the book controller. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
public record BookInstanceDefinitionStatus(
    String phase,
    @JsonProperty("deployment_status") DeploymentStatus deploymentStatus,
    @JsonProperty("last_updated") String lastUpdated,
    List<Condition> conditions,
    Long observedGeneration,
    List<WebhookEndpoint> webhooks) {

  /** Phases from the seed. */
  public static final String PENDING = "Pending";
  public static final String READY = "Ready";
  public static final String FAILED = "Failed";
  public static final String UPDATING = "Updating";
  /**
   * The book serves (at least one replica is ready) but not as its spec says: some replicas fail
   * (the {@code DeploymentReady} condition names the container and the cause), or the spec's
   * revision failed and the instance runs its last Ready revision ({@code RolledBack=True}).
   */
  public static final String DEGRADED = "Degraded";
  /** A webhook-triggered book scaled to zero after its idle period; its next webhook wakes it. */
  public static final String SLEEPING = "Sleeping";
  /** A sleeping book woken by a webhook, not ready yet. */
  public static final String WAKING = "Waking";

  /** Every phase the book-controller writes. */
  public static final List<String> PHASES =
      List.of(PENDING, READY, UPDATING, DEGRADED, FAILED, SLEEPING, WAKING);

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record DeploymentStatus(
      @JsonProperty("ready_replicas") Integer readyReplicas,
      @JsonProperty("total_replicas") Integer totalReplicas) {}
}
