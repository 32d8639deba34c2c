package io.voyager.bdk.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.generator.annotation.Required;

/** A status condition, named as in the seed ({@code last_transition}), plus reason, message and generation. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Condition(
    @Required String type,
    @Required String status,
    String reason,
    String message,
    @JsonProperty("last_transition") String lastTransition,
    Long observedGeneration) {}
