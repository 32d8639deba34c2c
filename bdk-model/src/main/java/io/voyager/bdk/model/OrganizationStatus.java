package io.voyager.bdk.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * Status of an {@link Organization}, written by the book-controller: a {@code Ready} condition
 * (every listed namespace carries its guardrails, or why not — e.g. a namespace that does not
 * exist or that another Organization already lists) and the namespaces it manages.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
public record OrganizationStatus(
    List<Condition> conditions, List<String> namespaces, Long observedGeneration) {}
