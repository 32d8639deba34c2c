package io.voyager.bdk.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** Status of an {@link ExternalBookDefinition}, as in the seed, plus the public webhook paths. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
public record ExternalBookDefinitionStatus(
    String phase,
    Integer replicas,
    @JsonProperty("ready_replicas") Integer readyReplicas,
    @JsonProperty("last_updated") String lastUpdated,
    List<WebhookEndpoint> webhooks,
    List<Condition> conditions) {}
