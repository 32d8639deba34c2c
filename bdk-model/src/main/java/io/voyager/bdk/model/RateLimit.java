package io.voyager.bdk.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** Token bucket for one webhook endpoint: refill rate and bucket size. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record RateLimit(
    @JsonProperty("requests_per_second") Double requestsPerSecond, Integer burst) {}
