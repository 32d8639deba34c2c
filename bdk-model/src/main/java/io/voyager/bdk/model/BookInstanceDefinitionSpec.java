package io.voyager.bdk.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.List;
import java.util.Map;

/**
 * Spec of a {@link BookInstanceDefinition}, field for field as in the BDK seed, plus {@code webhooks}:
 * which of the book's webhook integrations this instance receives and how each is verified.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
public record BookInstanceDefinitionSpec(
    @Required BookRef bookRef,
    @Required Customer customer,
    Deployment deployment,
    Networking networking,
    List<Credential> credentials,
    Configuration configuration,
    List<WebhookBinding> webhooks) {

  /** The BookDefinition (metadata.name in {@code bdk}) and version this instance runs. */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record BookRef(@Required String name, String version) {}

  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Customer(
      @Required @Pattern(CustomerNamespaces.PATTERN) String namespace, @JsonProperty("organization_id") String organizationId) {}

  /** {@code type}: primary, secondary, shared, long-polling or webhook-triggered. */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Deployment(String type, @Min(0) Integer replicas, Resources resources, Scaling scaling) {}

  /** Requests ({@code cpu}, {@code memory}, as in the seed) and optional limits. */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Resources(
      @Pattern(Quantities.PATTERN) String cpu,
      @Pattern(Quantities.PATTERN) String memory,
      @JsonProperty("cpu_limit") @Pattern(Quantities.PATTERN) String cpuLimit,
      @JsonProperty("memory_limit") @Pattern(Quantities.PATTERN) String memoryLimit) {}

  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Scaling(
      @JsonProperty("min_replicas") Integer minReplicas,
      @JsonProperty("max_replicas") Integer maxReplicas,
      @JsonProperty("target_cpu_utilization") Integer targetCpuUtilization) {}

  /**
   * The instance's network: its Tailscale sidecar, and {@code egress}, the destinations its pods
   * may reach beyond the cluster DNS (and what Tailscale itself needs). A book pod may reach
   * nothing else: its NetworkPolicy allows exactly these (see {@link EgressRules} for the rules).
   */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Networking(Tailscale tailscale, @Size(max = EgressRules.MAX_RULES) List<EgressRule> egress) {
    public Networking(Tailscale tailscale) {
      this(tailscale, null);
    }
  }

  /**
   * Addresses the book may open connections to: a CIDR ({@code 203.0.113.0/24}, {@code 2001:db8::/32}),
   * addresses within it left out ({@code except}), and the ports allowed (every port when none).
   */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record EgressRule(
      @Required String cidr,
      @Size(max = EgressRules.MAX_EXCEPT) List<String> except,
      @Size(max = EgressRules.MAX_PORTS) List<EgressPort> ports) {}

  /** A destination port, 1–65535, and its protocol: TCP (when absent), UDP or SCTP. */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record EgressPort(@Required @Min(1) @Max(65535) Integer port, @Pattern("^(TCP|UDP|SCTP)$") String protocol) {}

  /** {@code mode}: kernel (NET_ADMIN) or userspace. */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Tailscale(Boolean enabled, String tailnet, List<String> tags, String mode) {}

  /**
   * A credential the instance needs. Values never live here: they are in the instance's credentials
   * Secret in the customer namespace, under the credential's name.
   */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Credential(@Required @Pattern(SecretKeys.PATTERN) String name, String type,
      String source) {}

  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Configuration(
      String environment,
      @JsonProperty("log_level") String logLevel,
      @JsonProperty("custom_settings") @PreserveUnknownFields @SchemaFrom(type = FreeFormObject.class) Map<String, Object> customSettings) {}

  /**
   * A webhook integration of the book that this instance receives. {@code credential} names the
   * credential whose value is the signing secret (one or more, one per line, for rotation).
   * {@code max_body_bytes} lowers the gateway's body limit for this integration (larger bodies get
   * 413 from Envoy). The numbers are capped by {@link WebhookLimits}.
   * {@code delivery} is {@code direct} (default) or {@code queued}; {@code ordered} (queued only)
   * delivers one at a time ({@link WebhookDelivery}).
   */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record WebhookBinding(
      @Required String integration,
      @Required String scheme,
      @Required String credential,
      @JsonProperty("tolerance_seconds")
          @Min(WebhookLimits.MIN_TOLERANCE_SECONDS) @Max(WebhookLimits.MAX_TOLERANCE_SECONDS) Integer toleranceSeconds,
      @JsonProperty("rate_limit") RateLimit rateLimit,
      Hmac hmac,
      @JsonProperty("max_body_bytes")
          @Min(WebhookLimits.MIN_BODY_BYTES) @Max(WebhookLimits.MAX_BODY_BYTES) Integer maxBodyBytes,
      @Pattern(WebhookDelivery.PATTERN) String delivery,
      Boolean ordered) {

    /** A direct binding with the gateway's body limit. */
    public WebhookBinding(String integration, String scheme, String credential, Integer toleranceSeconds,
        RateLimit rateLimit, Hmac hmac) {
      this(integration, scheme, credential, toleranceSeconds, rateLimit, hmac, null, null, null);
    }

    /** A direct binding (delivery and ordered absent). */
    public WebhookBinding(String integration, String scheme, String credential, Integer toleranceSeconds,
        RateLimit rateLimit, Hmac hmac, Integer maxBodyBytes) {
      this(integration, scheme, credential, toleranceSeconds, rateLimit, hmac, maxBodyBytes, null, null);
    }
  }
}
