package io.voyager.bdk.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import java.util.List;

/**
 * Spec of an {@link ExternalBookDefinition}, field for field as in the customer-deployments seed,
 * plus {@code service} (the Service that receives this book's webhooks; default: the resource's own
 * name, port 8080), {@code instanceRef} (the BookInstanceDefinition it was made for) and
 * {@code wake} (present for a book that sleeps when idle: the Lease its webhooks wake it through,
 * see {@link BookWake}).
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
public record ExternalBookDefinitionSpec(
    String bookType,
    String version,
    List<ExternalIntegration> externalIntegrations,
    Networking networking,
    Resources resources,
    Scaling scaling,
    ServiceRef service,
    InstanceRef instanceRef,
    Wake wake) {

  /** A book that never sleeps. */
  public ExternalBookDefinitionSpec(String bookType, String version, List<ExternalIntegration> externalIntegrations,
      Networking networking, Resources resources, Scaling scaling, ServiceRef service, InstanceRef instanceRef) {
    this(bookType, version, externalIntegrations, networking, resources, scaling, service, instanceRef, null);
  }

  /**
   * {@code type}: webhook (the gateway routes to the book) or api (the book calls out).
   * {@code max_body_bytes}: a webhook's body limit on the gateway, at most the gateway's own
   * ({@link WebhookLimits}); larger bodies get 413 from Envoy before any check. For a webhook,
   * {@code delivery} is {@code direct} (default) or {@code queued}, and {@code ordered} (queued only)
   * delivers one at a time ({@link WebhookDelivery}).
   */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record ExternalIntegration(
      @Required @Pattern(DnsNames.LABEL_PATTERN) String name,
      @Required String type,
      String endpoint,
      Authentication authentication,
      @JsonProperty("rate_limit") RateLimit rateLimit,
      @JsonProperty("max_body_bytes")
          @Min(WebhookLimits.MIN_BODY_BYTES) @Max(WebhookLimits.MAX_BODY_BYTES) Integer maxBodyBytes,
      @Pattern(WebhookDelivery.PATTERN) String delivery,
      Boolean ordered) {

    /** A direct integration with the gateway's body limit. */
    public ExternalIntegration(String name, String type, String endpoint, Authentication authentication, RateLimit rateLimit) {
      this(name, type, endpoint, authentication, rateLimit, null, null, null);
    }

    /** A direct integration (delivery and ordered absent). */
    public ExternalIntegration(String name, String type, String endpoint, Authentication authentication, RateLimit rateLimit,
        Integer maxBodyBytes) {
      this(name, type, endpoint, authentication, rateLimit, maxBodyBytes, null, null);
    }
  }

  /**
   * {@code type}: signature (webhooks), oauth2, … {@code scheme}: github, stripe, slack, shopify,
   * zendesk, standard or hmac. The secret's value holds one or more secrets, one per line.
   */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Authentication(
      @Required String type,
      String scheme,
      @JsonProperty("secret_ref") SecretRef secretRef,
      @JsonProperty("tolerance_seconds")
          @Min(WebhookLimits.MIN_TOLERANCE_SECONDS) @Max(WebhookLimits.MAX_TOLERANCE_SECONDS) Integer toleranceSeconds,
      Hmac hmac) {}

  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record SecretRef(@Required String name, @Required @Pattern(SecretKeys.PATTERN) String key) {}

  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Networking(Tailscale tailscale) {}

  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Tailscale(Boolean enabled, String tailnet, List<String> tags) {}

  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Resources(
      @JsonProperty("cpu_request") @Pattern(Quantities.PATTERN) String cpuRequest,
      @JsonProperty("memory_request") @Pattern(Quantities.PATTERN) String memoryRequest,
      @JsonProperty("cpu_limit") @Pattern(Quantities.PATTERN) String cpuLimit,
      @JsonProperty("memory_limit") @Pattern(Quantities.PATTERN) String memoryLimit) {}

  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Scaling(
      @JsonProperty("min_replicas") Integer minReplicas,
      @JsonProperty("max_replicas") Integer maxReplicas,
      @JsonProperty("target_cpu_utilization") Integer targetCpuUtilization) {}

  /** The Service in the same namespace whose EndpointSlices receive this book's webhooks. */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record ServiceRef(@Required @Pattern(DnsNames.LABEL_PATTERN) String name, @Min(1) @Max(65535) Integer port) {}

  /** Back-reference to the BookInstanceDefinition (owner references cannot cross namespaces). */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record InstanceRef(String namespace, String name, @JsonProperty("instance_id") String instanceId) {}

  /**
   * A webhook-triggered book scales to zero when idle; {@code lease} names the Lease (same
   * namespace) on which ext-authz records its webhooks and asks it to wake ({@link BookWake}).
   */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Wake(@Required String lease) {}
}
