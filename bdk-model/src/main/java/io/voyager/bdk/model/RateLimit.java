package io.voyager.bdk.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** Token bucket for one webhook endpoint: refill rate and bucket size, capped by {@link WebhookLimits}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record RateLimit(
    @JsonProperty("requests_per_second")
        @Min(value = WebhookLimits.MIN_REQUESTS_PER_SECOND_EXCLUSIVE, inclusive = false)
        @Max(WebhookLimits.MAX_REQUESTS_PER_SECOND) Double requestsPerSecond,
    @Min(WebhookLimits.MIN_BURST) @Max(WebhookLimits.MAX_BURST) Integer burst) {}
