package io.voyager.bdk.library;

import io.voyager.bdk.library.v1.Tailscale;
import io.voyager.bdk.model.DeploymentType;
import io.voyager.bdk.model.DnsNames;
import io.voyager.bdk.model.Quantities;
import io.voyager.bdk.model.SecretKeys;
import io.voyager.bdk.model.WebhookAuthContext;
import io.voyager.bdk.library.ApiException.Violation;
import io.voyager.bdk.library.v1.CreateBookRequest;
import io.voyager.bdk.library.v1.CreateInstanceRequest;
import io.voyager.bdk.library.v1.CredentialInput;
import io.voyager.bdk.library.v1.CredentialRotation;
import io.voyager.bdk.library.v1.Networking;
import io.voyager.bdk.library.v1.Deployment;
import io.voyager.bdk.library.v1.EgressRule;
import io.voyager.bdk.library.v1.Hmac;
import io.voyager.bdk.library.v1.Integration;
import io.voyager.bdk.library.v1.Resources;
import io.voyager.bdk.library.v1.SchemaField;
import io.voyager.bdk.library.v1.WebhookBinding;
import io.voyager.bdk.model.BookDefinitionSpec;
import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import io.voyager.bdk.model.EgressRules;
import io.voyager.bdk.model.InstanceCredentials;
import io.voyager.bdk.model.CustomerNamespaces;
import io.voyager.bdk.model.StandardWebhookSecrets;
import io.voyager.bdk.model.TailscaleRules;
import io.voyager.bdk.model.WebhookDelivery;
import io.voyager.bdk.model.WebhookLimits;
import java.util.HashMap;
import java.util.Map;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks API requests against the rules of the Book Library, without I/O. Every problem is
 * reported at once, each naming its field by JSON path (e.g. {@code webhooks[0].integration}).
 */
final class RequestValidator {

  static final int DEFAULT_PAGE_SIZE = 20;
  static final int MAX_PAGE_SIZE = 100;

  static final Set<String> INTEGRATION_TYPES = Set.of("webhook", "api");
  static final Set<String> WEBHOOK_SCHEMES = Set.copyOf(WebhookAuthContext.SCHEMES);
  static final Set<String> CREDENTIAL_SOURCES = Set.copyOf(InstanceCredentials.SOURCES);
  static final Set<String> TAILSCALE_MODES = Set.of(TailscaleRules.KERNEL, TailscaleRules.USERSPACE);

  /** A Secret data key. */
  private static final int MAX_TEXT = 1024;

  void validateCreateBook(CreateBookRequest r) {
    List<Violation> v = new ArrayList<>();
    DnsNames.labelProblem(r.getName()).ifPresent(p -> v.add(new Violation("name", p)));
    if (r.getVersion().isEmpty()) {
      v.add(new Violation("version", "is required"));
    } else if (SemanticVersion.parse(r.getVersion()).isEmpty()) {
      v.add(new Violation("version", "must be a semantic version (semver 2.0.0), e.g. 1.0.0 or 1.2.0-rc.1; got " + quoted(r.getVersion())));
    }
    if (r.getDescription().length() > 4 * MAX_TEXT) {
      v.add(new Violation("description", "must be at most 4096 characters"));
    }
    if (r.hasRuntime() && r.getRuntime().getLanguage().isEmpty()) {
      v.add(new Violation("runtime.language", "is required when runtime is given"));
    }
    schemaFields("schema.inputs", r.getSchema().getInputsList(), v);
    schemaFields("schema.outputs", r.getSchema().getOutputsList(), v);
    Set<String> integrationNames = new HashSet<>();
    for (int i = 0; i < r.getIntegrationsCount(); i++) {
      Integration in = r.getIntegrations(i);
      String f = "integrations[" + i + "]";
      DnsNames.labelProblem(in.getName()).ifPresent(p -> v.add(new Violation(f + ".name", p)));
      if (!in.getName().isEmpty() && !integrationNames.add(in.getName())) {
        v.add(new Violation(f + ".name", "duplicates integration " + quoted(in.getName())));
      }
      oneOf(f + ".type", in.getType(), INTEGRATION_TYPES, true, v);
    }
    throwIfAny(v);
  }

  /**
   * An instance as validation sees it — a create request, or an instance after an update's mask was
   * applied: the same rules, so the same field-named errors either way. {@code credentialScope}
   * words where credentials come from in messages ("this request", "the instance").
   */
  record InstanceDraft(String customerNamespace, String organizationId, Optional<Deployment> deployment,
      Networking networking, List<CredentialDraft> credentials, List<WebhookBinding> webhooks, String credentialScope) {}

  /**
   * A credential as validation sees it: what the request says ({@code value} empty when none was
   * sent; {@code rotation} present when an update asks for a new value) and the source it has now
   * ({@code existingSource} empty for a credential the instance does not have yet).
   */
  record CredentialDraft(String name, String type, String source, String value, Optional<CredentialRotation> rotation,
      Optional<String> existingSource) {

    static CredentialDraft of(CredentialInput c) {
      return new CredentialDraft(c.getName(), c.getType(), c.getSource(), c.getValue(), Optional.empty(), Optional.empty());
    }

    String effectiveSource() {
      return InstanceCredentials.sourceOrDefault(source);
    }

    boolean hasValue() {
      return !value.isEmpty();
    }
  }

  private final boolean tailscaleKernelAllowed;

  /** Kernel-mode Tailscale refused (the default, as on the controller). */
  RequestValidator() {
    this(false);
  }

  /**
   * @param tailscaleKernelAllowed whether an instance may ask for {@code networking.tailscale.mode:
   *     kernel} (root with NET_ADMIN): the library's {@code --tailscale-allow-kernel-mode}, which the
   *     operator sets as on the controller (the controller still refuses it when its own flag is off)
   */
  RequestValidator(boolean tailscaleKernelAllowed) {
    this.tailscaleKernelAllowed = tailscaleKernelAllowed;
  }

  /** Checks an instance request against its book's definition. */
  void validateCreateInstance(CreateInstanceRequest r, BookDefinitionSpec book) {
    validateInstance(new InstanceDraft(r.getCustomerNamespace(), r.getOrganizationId(),
        r.hasDeployment() ? Optional.of(r.getDeployment()) : Optional.empty(), r.getNetworking(),
        r.getCredentialsList().stream().map(CredentialDraft::of).toList(), r.getWebhooksList(), "this request"), book);
  }

  /** Checks an instance (a create request, or an instance as an update would leave it) against its book. */
  void validateInstance(InstanceDraft d, BookDefinitionSpec book) {
    List<Violation> v = new ArrayList<>();
    CustomerNamespaces.problem(d.customerNamespace())
        .ifPresent(p -> v.add(new Violation("customer_namespace", p)));
    if (d.organizationId().length() > MAX_TEXT) {
      v.add(new Violation("organization_id", "must be at most 1024 characters"));
    }
    d.deployment().ifPresent(dep -> deployment(dep, v));
    if (d.networking().hasTailscale()) {
      oneOf("networking.tailscale.mode", d.networking().getTailscale().getMode(), TAILSCALE_MODES, false, v);
      if (TailscaleRules.KERNEL.equals(d.networking().getTailscale().getMode()) && !tailscaleKernelAllowed) {
        v.add(new Violation("networking.tailscale.mode", "'kernel' runs the sidecar as root with NET_ADMIN, which this "
            + "platform does not allow (the operator's --tailscale-allow-kernel-mode); use 'userspace'"));
      }
      tailscale(d.networking().getTailscale(), v);
    }
    egress(d.networking().getEgressList(), v);
    Set<String> signing = new HashSet<>();
    d.webhooks().forEach(w -> signing.add(w.getCredential()));
    Set<String> credentials = credentials(d.credentials(), signing, v);
    webhooks(d.webhooks(), book, credentials, d.credentialScope(), v);
    standardWebhookSecrets(d, v);
    tailscaleAuthKey(d, credentials, v);
    tailscaleReplicas(d, v);
    String type = d.deployment().map(Deployment::getType).orElse("");
    if (!d.webhooks().isEmpty() && DeploymentType.parse(type).filter(t -> !t.receivesTraffic()).isPresent()) {
      v.add(new Violation("webhooks", "a " + type + " instance receives no webhooks; remove them or choose another deployment.type"));
    }
    throwIfAny(v);
  }

  /** The page size to serve: 0 means the default, above the maximum means the maximum. */
  int pageSize(int requested) {
    if (requested < 0) {
      throw ApiException.invalid("page_size", "must not be negative; got " + requested);
    }
    return requested == 0 ? DEFAULT_PAGE_SIZE : Math.min(requested, MAX_PAGE_SIZE);
  }

  /** An id given in the path: required; any other value is looked up (unknown ones are NOT_FOUND). */
  void requireId(String field, String value) {
    if (value.isEmpty()) {
      throw ApiException.invalid(field, "is required");
    }
  }

  private static void schemaFields(String path, List<SchemaField> fields, List<Violation> v) {
    for (int i = 0; i < fields.size(); i++) {
      SchemaField f = fields.get(i);
      if (f.getName().isEmpty()) v.add(new Violation(path + "[" + i + "].name", "is required"));
      if (f.getType().isEmpty()) v.add(new Violation(path + "[" + i + "].type", "is required"));
    }
  }

  private static void deployment(Deployment d, List<Violation> v) {
    if (DeploymentType.parse(d.getType()).isEmpty()) {
      v.add(new Violation("deployment.type", "must be one of " + DeploymentType.allNames() + "; got " + quoted(d.getType())));
    }
    if (d.getReplicas() < 0) {
      v.add(new Violation("deployment.replicas", "must not be negative; got " + d.getReplicas()));
    }
    if (d.hasResources()) {
      Resources res = d.getResources();
      quantity("deployment.resources.cpu", res.getCpu(), v);
      quantity("deployment.resources.memory", res.getMemory(), v);
      quantity("deployment.resources.cpu_limit", res.getCpuLimit(), v);
      quantity("deployment.resources.memory_limit", res.getMemoryLimit(), v);
    }
    if (d.hasScaling()) {
      var s = d.getScaling();
      if (s.getMinReplicas() < 0) {
        v.add(new Violation("deployment.scaling.min_replicas", "must not be negative; got " + s.getMinReplicas()));
      }
      if (s.getMaxReplicas() < 0) {
        v.add(new Violation("deployment.scaling.max_replicas", "must not be negative; got " + s.getMaxReplicas()));
      } else if (s.getMaxReplicas() > 0 && s.getMaxReplicas() < s.getMinReplicas()) {
        v.add(new Violation("deployment.scaling.max_replicas", "must be at least min_replicas (" + s.getMinReplicas() + ")"));
      }
      if (s.getTargetCpuUtilization() < 0 || s.getTargetCpuUtilization() > 100) {
        v.add(new Violation("deployment.scaling.target_cpu_utilization", "must be a percentage from 0 to 100; got " + s.getTargetCpuUtilization()));
      }
    }
  }

  /** The rules of {@link EgressRules}, the controller's too; an empty protocol is TCP. */
  private static void egress(List<EgressRule> egress, List<Violation> v) {
    var rules = egress.stream().map(e -> new BookInstanceDefinitionSpec.EgressRule(e.getCidr(), e.getExceptList(),
        e.getPortsList().stream().map(p -> new BookInstanceDefinitionSpec.EgressPort(p.getPort(), p.getProtocol())).toList()))
        .toList();
    EgressRules.problems(rules).forEach(p -> v.add(new Violation("networking." + p.field(), p.message())));
  }

  private static void quantity(String field, String value, List<Violation> v) {
    if (!value.isEmpty()) {
      Quantities.problem(value).ifPresent(p -> v.add(new Violation(field, p)));
    }
  }

  /**
   * Checks credentials ({@code signing}: the credentials webhook bindings sign with); returns the
   * names given. Values are never quoted in a message.
   */
  private static Set<String> credentials(List<CredentialDraft> credentials, Set<String> signing, List<Violation> v) {
    Set<String> names = new HashSet<>();
    for (int i = 0; i < credentials.size(); i++) {
      CredentialDraft c = credentials.get(i);
      String f = "credentials[" + i + "]";
      if (c.name().isEmpty()) {
        v.add(new Violation(f + ".name", "is required"));
      } else if (SecretKeys.problem(c.name()).isPresent()) {
        v.add(new Violation(f + ".name", SecretKeys.problem(c.name()).get()));
      } else if (!names.add(c.name())) {
        v.add(new Violation(f + ".name", "duplicates credential " + quoted(c.name())));
      }
      oneOf(f + ".source", c.source(), CREDENTIAL_SOURCES, false, v);
      credentialValue(f, c, v);
      c.rotation().ifPresent(r -> rotation(f, c, r, signing, v));
      if (c.name().equals(InstanceCredentials.TAILSCALE_AUTH_KEY) && c.effectiveSource().equals(InstanceCredentials.GENERATED)) {
        v.add(new Violation(f + ".source", "a Tailscale auth key is issued by Tailscale (admin console or API) and cannot be generated; use manual or external"));
      }
    }
    return names;
  }

  /** Whether a value may, or must, be sent: by source, and by what the instance has already. */
  private static void credentialValue(String f, CredentialDraft c, List<Violation> v) {
    switch (c.effectiveSource()) {
      case InstanceCredentials.GENERATED -> {
        if (c.hasValue()) {
          v.add(new Violation(f + ".value", "must be left out when source is generated: the library generates the value and returns it once"));
        }
      }
      case InstanceCredentials.EXTERNAL -> {
        if (c.hasValue()) {
          v.add(new Violation(f + ".value", "must be left out when source is external: the value is managed outside the platform (e.g. by External Secrets) and the library writes nothing"));
        }
      }
      case InstanceCredentials.MANUAL -> {
        boolean keepsItsValue = c.existingSource().filter(s -> !s.equals(InstanceCredentials.EXTERNAL)).isPresent();
        if (!c.hasValue() && !keepsItsValue) {
          v.add(new Violation(f + ".value", c.existingSource().isEmpty()
              ? "is required when source is manual (the default); use source generated to have one generated"
              : "is required: the credential was external, so the library holds no value of it to keep"));
        }
      }
      default -> { } // an unknown source is named by oneOf
    }
  }

  /** A rotation: of what, and how long the previous value may keep verifying. */
  private static void rotation(String f, CredentialDraft c, CredentialRotation r, Set<String> signing, List<Violation> v) {
    switch (c.effectiveSource()) {
      case InstanceCredentials.EXTERNAL ->
          v.add(new Violation(f + ".rotation", "an external credential is rotated where it is managed, not through this API"));
      case InstanceCredentials.MANUAL -> {
        if (!c.hasValue()) {
          v.add(new Violation(f + ".value", "is required to rotate a manual credential: the new value"));
        }
      }
      default -> { }
    }
    int overlap = r.getOverlapSeconds();
    if (overlap == 0) {
      return;
    }
    String o = f + ".rotation.overlap_seconds";
    Optional<String> range = InstanceCredentials.overlapSecondsProblem(overlap);
    if (range.isPresent()) {
      v.add(new Violation(o, range.get()));
    } else if (c.existingSource().isEmpty()) {
      v.add(new Violation(o, "a new credential has no previous value to keep; leave it out"));
    } else if (!signing.contains(c.name())) {
      v.add(new Violation(o, "only a webhook signing secret keeps its previous value for a while; no webhook binding signs with "
          + quoted(c.name())));
    }
  }

  /**
   * The tags and tailnet by the rules the controller applies too ({@link TailscaleRules}): each tag
   * {@code tag:<DNS label>}, so nothing else reaches the sidecar's {@code tailscale up} arguments.
   */
  private static void tailscale(Tailscale t, List<Violation> v) {
    String f = "networking.tailscale.";
    if (t.getTagsCount() > TailscaleRules.MAX_TAGS) {
      v.add(new Violation(f + "tags", "must have at most " + TailscaleRules.MAX_TAGS + " tags; got " + t.getTagsCount()));
    } else {
      for (int i = 0; i < t.getTagsCount(); i++) {
        int index = i;
        TailscaleRules.tagProblem(t.getTags(i)).ifPresent(p -> v.add(new Violation(f + "tags[" + index + "]", p)));
      }
    }
    TailscaleRules.tailnetProblem(t.getTailnet()).ifPresent(p -> v.add(new Violation(f + "tailnet", p)));
  }

  /** A Tailscale instance runs one replica, scaled or not ({@link TailscaleRules#MAX_REPLICAS}), as the controller requires. */
  private static void tailscaleReplicas(InstanceDraft d, List<Violation> v) {
    if (!d.networking().getTailscale().getEnabled()) {
      return;
    }
    d.deployment().ifPresent(dep -> {
      TailscaleRules.replicasProblem(dep.getReplicas()).ifPresent(p -> v.add(new Violation("deployment.replicas", p)));
      if (dep.hasScaling()) {
        TailscaleRules.replicasProblem(dep.getScaling().getMaxReplicas())
            .ifPresent(p -> v.add(new Violation("deployment.scaling.max_replicas", p)));
      }
    });
  }

  /** Tailscale joins the tailnet with the credential {@value InstanceCredentials#TAILSCALE_AUTH_KEY}. */
  private static void tailscaleAuthKey(InstanceDraft d, Set<String> credentials, List<Violation> v) {
    if (d.networking().getTailscale().getEnabled() && !credentials.contains(InstanceCredentials.TAILSCALE_AUTH_KEY)) {
      v.add(new Violation("networking.tailscale.enabled", "requires a credential named "
          + quoted(InstanceCredentials.TAILSCALE_AUTH_KEY) + " holding the Tailscale auth key the sidecar joins the tailnet with (source manual or external)"));
    }
  }

  private static void webhooks(List<WebhookBinding> webhooks, BookDefinitionSpec book, Set<String> credentials,
      String credentialScope, List<Violation> v) {
    Set<String> webhookIntegrations = new HashSet<>();
    if (book.integrations() != null) {
      book.integrations().stream()
          .filter(i -> "webhook".equals(i.type()))
          .forEach(i -> webhookIntegrations.add(i.name()));
    }
    Set<String> bound = new HashSet<>();
    for (int i = 0; i < webhooks.size(); i++) {
      WebhookBinding w = webhooks.get(i);
      String f = "webhooks[" + i + "]";
      if (w.getIntegration().isEmpty()) {
        v.add(new Violation(f + ".integration", "is required"));
      } else if (!webhookIntegrations.contains(w.getIntegration())) {
        v.add(new Violation(f + ".integration", "book " + quoted(book.name()) + " has no webhook integration "
            + quoted(w.getIntegration()) + " (webhook integrations: " + webhookIntegrations.stream().sorted().toList() + ")"));
      } else if (!bound.add(w.getIntegration())) {
        v.add(new Violation(f + ".integration", "duplicates webhook " + quoted(w.getIntegration())));
      }
      oneOf(f + ".scheme", w.getScheme(), WEBHOOK_SCHEMES, true, v);
      if (w.getCredential().isEmpty()) {
        v.add(new Violation(f + ".credential", "is required: the name of the credential holding the signing secret"));
      } else if (!credentials.contains(w.getCredential())) {
        v.add(new Violation(f + ".credential", "names no credential of " + credentialScope + ": " + quoted(w.getCredential())));
      }
      // 0 is "not set" (proto3): the gateway's default applies. Caps: WebhookLimits.
      if (w.getToleranceSeconds() != 0) {
        WebhookLimits.toleranceSecondsProblem(w.getToleranceSeconds())
            .ifPresent(p -> v.add(new Violation(f + ".tolerance_seconds", p)));
      }
      if (w.hasRateLimit()) {
        double rps = w.getRateLimit().getRequestsPerSecond();
        if (rps != 0) {
          WebhookLimits.requestsPerSecondProblem(rps)
              .ifPresent(p -> v.add(new Violation(f + ".rate_limit.requests_per_second", p)));
        }
        if (w.getRateLimit().getBurst() != 0) {
          WebhookLimits.burstProblem(w.getRateLimit().getBurst())
              .ifPresent(p -> v.add(new Violation(f + ".rate_limit.burst", p)));
        }
      }
      if (w.getMaxBodyBytes() != 0) {
        WebhookLimits.maxBodyBytesProblem(w.getMaxBodyBytes())
            .ifPresent(p -> v.add(new Violation(f + ".max_body_bytes", p)));
      }
      if (!w.getDelivery().isEmpty() || w.getOrdered()) {
        String problem = WebhookDelivery.problem(
            f, emptyDeliveryToNull(w.getDelivery()), w.getOrdered() ? Boolean.TRUE : null);
        if (problem != null) {
          int colon = problem.indexOf(": ");
          v.add(new Violation(problem.substring(0, colon), problem.substring(colon + 2)));
        }
      }
      if (w.getScheme().equals("hmac")) {
        hmac(f + ".hmac", w.getHmac(), v);
      } else if (w.hasHmac()) {
        v.add(new Violation(f + ".hmac", "is only allowed with scheme hmac"));
      }
    }
  }

  /**
   * A {@code standard} (Standard Webhooks) binding's credential must hold {@code whsec_} secrets:
   * anything else could never verify. Checked for values sent now (a generated one is made in that
   * form; a value kept from before was checked when it was sent). The message names the
   * credential, never its value.
   */
  private static void standardWebhookSecrets(InstanceDraft d, List<Violation> v) {
    Map<String, String> values = new HashMap<>();
    d.credentials().forEach(c -> values.putIfAbsent(c.name(), c.value()));
    for (int i = 0; i < d.webhooks().size(); i++) {
      WebhookBinding w = d.webhooks().get(i);
      String value = values.get(w.getCredential());
      if (!w.getScheme().equals("standard") || value == null || value.isEmpty()) {
        continue;
      }
      String f = "webhooks[" + i + "].credential";
      StandardWebhookSecrets.problem(value).ifPresent(p ->
          v.add(new Violation(f, "credential " + quoted(w.getCredential()) + " " + p)));
    }
  }

  /** The rules of {@link io.voyager.bdk.model.Hmac}, plus: the API asks for the header. */
  /** The hmac options by the model's rules ({@link io.voyager.bdk.model.Hmac#problems}); an empty header means X-Signature. */
  private static void hmac(String f, Hmac h, List<Violation> v) {
    io.voyager.bdk.model.Hmac.problems(new io.voyager.bdk.model.Hmac(emptyToNull(h.getAlgorithm()), emptyToNull(h.getHeader()),
            emptyToNull(h.getPrefix()), emptyToNull(h.getEncoding()), emptyToNull(h.getPayload()), emptyToNull(h.getTimestampHeader())))
        .forEach(p -> v.add(new Violation(f + "." + p.field(), p.message())));
  }

  private static String emptyToNull(String s) {
    return s.isEmpty() ? null : s;
  }

  private static void oneOf(String field, String value, Set<String> allowed, boolean required, List<Violation> v) {
    if (value.isEmpty()) {
      if (required) v.add(new Violation(field, "is required; one of " + sorted(allowed)));
    } else if (!allowed.contains(value)) {
      v.add(new Violation(field, "must be one of " + sorted(allowed) + "; got " + quoted(value)));
    }
  }

  private static String sorted(Set<String> s) {
    return String.join(", ", s.stream().sorted().toList());
  }

  /** Quotes caller input in a message, cut short so a huge value cannot bloat the answer. */
  static String quoted(String s) {
    return "'" + (s.length() > 64 ? s.substring(0, 64) + "…" : s) + "'";
  }

  private static void throwIfAny(List<Violation> v) {
    if (!v.isEmpty()) {
      throw ApiException.invalid(v);
    }
  }

  private static String emptyDeliveryToNull(String delivery) {
    return delivery.isEmpty() ? null : delivery;
  }
}
