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

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record DeploymentStatus(
      @JsonProperty("ready_replicas") Integer readyReplicas,
      @JsonProperty("total_replicas") Integer totalReplicas) {}
}
