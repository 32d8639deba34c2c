package io.voyager.bdk.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** Status of a {@link BookDefinition}. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
public record BookDefinitionStatus(
    String phase,
    @JsonProperty("last_updated") String lastUpdated,
    List<Condition> conditions,
    Long observedGeneration) {}
