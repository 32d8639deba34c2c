package io.voyager.bdk.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import java.util.List;

/**
 * Spec of an {@link Organization}.
 *
 * @param organizationId the id a caller's token carries in its organization claim; unique among
 *     Organizations
 * @param displayName a human name, for listings only
 * @param namespaces the customer namespaces ({@code customer-*}) this organization's instances may
 *     use; a namespace belongs to at most one Organization
 * @param quotas limits on what the organization may run, summed over all its namespaces
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
public record OrganizationSpec(
    @Required @JsonProperty("organization_id") @Pattern("^[A-Za-z0-9]([-_.A-Za-z0-9]{0,126}[A-Za-z0-9])?$") String organizationId,
    @JsonProperty("display_name") String displayName,
    List<String> namespaces,
    Quotas quotas) {

  /**
   * What an organization may use, summed over its namespaces. A missing value is unlimited. The
   * library enforces them over all its namespaces; the book-controller also caps each namespace
   * with a ResourceQuota and LimitRange derived from them (its {@code NamespaceGuardrails}), with
   * the defaults of {@link BookPodDefaults} for containers that set no resources.
   *
   * @param maxInstances book instances in all its namespaces
   * @param maxReplicasPerInstance replicas one instance may ask for (and its autoscaler's maximum)
   * @param maxTotalReplicas replicas of all its instances together (autoscaler maxima counted)
   * @param requestsCpu total CPU requests of its book pods, a Kubernetes quantity ("8", "500m")
   * @param requestsMemory total memory requests of its book pods, a Kubernetes quantity ("16Gi")
   * @param maxWebhookIntegrations webhook bindings over all its instances
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Quotas(
      @JsonProperty("max_instances") @Min(0) Integer maxInstances,
      @JsonProperty("max_replicas_per_instance") @Min(0) Integer maxReplicasPerInstance,
      @JsonProperty("max_total_replicas") @Min(0) Integer maxTotalReplicas,
      @JsonProperty("requests_cpu") @Pattern(Quantities.PATTERN) String requestsCpu,
      @JsonProperty("requests_memory") @Pattern(Quantities.PATTERN) String requestsMemory,
      @JsonProperty("max_webhook_integrations") @Min(0) Integer maxWebhookIntegrations) {}
}
