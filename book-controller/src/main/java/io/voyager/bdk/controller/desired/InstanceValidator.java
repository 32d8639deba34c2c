package io.voyager.bdk.controller.desired;

import io.voyager.bdk.model.BookDefinitionSpec;
import io.voyager.bdk.model.DeploymentType;
import io.voyager.bdk.model.BookDefinition;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import io.voyager.bdk.model.CustomerNamespaces;
import io.voyager.bdk.model.EgressRules;
import io.voyager.bdk.model.Hmac;
import io.voyager.bdk.model.Quantities;
import io.voyager.bdk.model.TailscaleRules;
import io.voyager.bdk.model.WebhookDelivery;
import io.voyager.bdk.model.WebhookLimits;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Checks a BookInstanceDefinition against its BookDefinition and the cluster, and resolves what
 * follows from it (deployment type, image, Tailscale mode). Pure: the caller looks up the book and
 * whether the namespace exists. Every problem names the field and why.
 */
public final class InstanceValidator {
  private final ControllerSettings settings;

  public InstanceValidator(ControllerSettings settings) {
    this.settings = settings;
  }

  /** Either the valid instance or its problems (never both). */
  public record Result(Optional<ValidInstance> valid, List<String> problems) {
    static Result ok(ValidInstance v) {
      return new Result(Optional.of(v), List.of());
    }

    static Result failed(List<String> problems) {
      return new Result(Optional.empty(), List.copyOf(problems));
    }

    public String message() {
      return String.join("; ", problems);
    }
  }

  /** What the cluster says about an instance's customer namespace. */
  public enum NamespaceState {
    ACTIVE,
    /** Deleted, waiting for its contents to go: the API server refuses anything new in it. */
    TERMINATING,
    MISSING
  }

  /**
   * @param book the BookDefinition named by {@code spec.bookRef.name} in the bdk namespace, if any
   * @param namespaceState the state of {@code spec.customer.namespace}
   */
  public Result validate(
      BookInstanceDefinition instance, Optional<BookDefinition> book, NamespaceState namespaceState) {
    return validate(instance, book, namespaceState, Optional.empty());
  }

  /**
   * @param podSecurityLevel the namespace's enforced Pod Security level
   *     ({@code pod-security.kubernetes.io/enforce}), if any: a kernel-mode Tailscale sidecar runs as
   *     root with NET_ADMIN, which {@code baseline} and {@code restricted} refuse — said here, rather
   *     than leaving the instance Pending while the API server refuses its pods
   */
  public Result validate(
      BookInstanceDefinition instance, Optional<BookDefinition> book, NamespaceState namespaceState,
      Optional<String> podSecurityLevel) {
    List<String> problems = new ArrayList<>();
    BookInstanceDefinitionSpec spec = instance.getSpec();
    if (spec == null) {
      return Result.failed(List.of("spec is required"));
    }

    if (spec.bookRef() == null || blank(spec.bookRef().name())) {
      problems.add("spec.bookRef.name is required");
    } else if (book.isEmpty()) {
      problems.add("spec.bookRef.name: unknown book '" + spec.bookRef().name() + "' (no BookDefinition of that name in namespace bdk)");
    } else if (!blank(spec.bookRef().version())
        && book.get().getSpec() != null
        && !spec.bookRef().version().equals(book.get().getSpec().version())) {
      problems.add("spec.bookRef.version '" + spec.bookRef().version() + "' does not match BookDefinition '"
          + spec.bookRef().name() + "' version '" + book.get().getSpec().version() + "'");
    }

    String namespace = spec.customer() == null ? null : spec.customer().namespace();
    Optional<String> nsProblem = CustomerNamespaces.problem(namespace);
    if (nsProblem.isPresent()) {
      problems.add("spec.customer.namespace " + nsProblem.get());
    } else if (namespaceState == NamespaceState.MISSING) {
      problems.add("spec.customer.namespace: namespace '" + namespace + "' does not exist");
    } else if (namespaceState == NamespaceState.TERMINATING) {
      problems.add("spec.customer.namespace: namespace '" + namespace + "' is being deleted (nothing new can be made in it)");
    }

    String typeName = spec.deployment() == null ? null : spec.deployment().type();
    Optional<DeploymentType> type = DeploymentType.parse(typeName);
    if (type.isEmpty()) {
      problems.add("spec.deployment.type: unknown deployment type '" + typeName + "' (expected one of "
          + DeploymentType.allNames() + ")");
    }
    checkDeployment(spec.deployment(), problems);

    var net = spec.networking();
    var ts = net == null ? null : net.tailscale();
    TailscaleRules.problems(ts, spec.credentials()).forEach(p -> problems.add(p.describe("spec.")));
    String mode = settings.tailscaleMode();
    boolean ownMode = ts != null && !blank(ts.mode());
    if (ownMode && TailscaleRules.modeProblem(ts.mode()).isEmpty()) {
      mode = ts.mode();
    }
    boolean tailscale = TailscaleRules.enabled(ts);
    if (tailscale && ControllerSettings.TAILSCALE_KERNEL.equals(mode)) {
      if (!settings.tailscaleKernelAllowed()) {
        problems.add("spec.networking.tailscale.mode: 'kernel' runs the sidecar as root with NET_ADMIN, which this "
            + "controller does not allow (the operator's --tailscale-allow-kernel-mode); use 'userspace'");
      } else if (podSecurityLevel.filter(level -> level.equals("restricted") || level.equals("baseline")).isPresent()) {
        problems.add("spec.networking.tailscale.mode: '" + mode + "'" + (ownMode ? "" : " (the controller's --tailscale-mode)")
            + " runs the sidecar as root with NET_ADMIN, which namespace '" + namespace + "' refuses (Pod Security '"
            + podSecurityLevel.get() + "'); use 'userspace'");
      }
    }
    if (tailscale) {
      var d = spec.deployment();
      if (d != null) {
        TailscaleRules.replicasProblem(d.replicas()).ifPresent(p -> problems.add("spec.deployment.replicas: " + p));
        if (d.scaling() != null) {
          TailscaleRules.replicasProblem(d.scaling().maxReplicas())
              .ifPresent(p -> problems.add("spec.deployment.scaling.max_replicas: " + p));
        }
      }
    }

    if (net != null) {
      EgressRules.problems(net.egress())
          .forEach(p -> problems.add("spec.networking." + p.field() + ": " + p.message()));
    }

    List<BookInstanceDefinitionSpec.WebhookBinding> webhooks =
        spec.webhooks() == null ? List.of() : spec.webhooks();
    if (type.isPresent() && type.get() == DeploymentType.LONG_POLLING && !webhooks.isEmpty()) {
      problems.add("spec.webhooks: a long-polling instance receives no webhooks; remove them or choose another deployment type");
    }
    book.ifPresent(b -> checkWebhooks(b, webhooks, problems));

    String image = null;
    if (book.isPresent()) {
      var runtime = book.get().getSpec() == null ? null : book.get().getSpec().runtime();
      String language = runtime == null ? null : runtime.language();
      String version = runtime == null ? null : runtime.version();
      image = settings.images().imageFor(language, version).orElse(null);
      if (image == null) {
        problems.add("BookDefinition '" + book.get().getMetadata().getName() + "' runtime.language '" + language
            + "' has no image (configured runtimes: " + settings.images().knownRuntimes()
            + "; add --runtime-image " + language + "=IMAGE)");
      }
    }

    if (!problems.isEmpty()) {
      return Result.failed(problems);
    }
    return Result.ok(new ValidInstance(instance, book.get(), type.get(), image, mode));
  }

  private static void checkDeployment(BookInstanceDefinitionSpec.Deployment d, List<String> problems) {
    if (d == null) {
      return;
    }
    if (d.replicas() != null && d.replicas() < 0) {
      problems.add("spec.deployment.replicas must be >= 0; got " + d.replicas());
    }
    var r = d.resources();
    if (r != null) {
      BigDecimal cpu = quantity("spec.deployment.resources.cpu", r.cpu(), problems);
      BigDecimal memory = quantity("spec.deployment.resources.memory", r.memory(), problems);
      BigDecimal cpuLimit = quantity("spec.deployment.resources.cpu_limit", r.cpuLimit(), problems);
      BigDecimal memoryLimit = quantity("spec.deployment.resources.memory_limit", r.memoryLimit(), problems);
      if (cpu != null && cpuLimit != null && cpuLimit.compareTo(cpu) < 0) {
        problems.add("spec.deployment.resources.cpu_limit '" + r.cpuLimit() + "' is below cpu '" + r.cpu() + "'");
      }
      if (memory != null && memoryLimit != null && memoryLimit.compareTo(memory) < 0) {
        problems.add("spec.deployment.resources.memory_limit '" + r.memoryLimit() + "' is below memory '" + r.memory() + "'");
      }
    }
    var s = d.scaling();
    if (s != null) {
      if (s.minReplicas() != null && s.minReplicas() < 1) {
        problems.add("spec.deployment.scaling.min_replicas must be >= 1; got " + s.minReplicas());
      }
      if (s.maxReplicas() != null && s.maxReplicas() < 1) {
        problems.add("spec.deployment.scaling.max_replicas must be >= 1; got " + s.maxReplicas());
      }
      if (s.minReplicas() != null && s.maxReplicas() != null && s.minReplicas() > s.maxReplicas()) {
        problems.add("spec.deployment.scaling.min_replicas " + s.minReplicas() + " is above max_replicas " + s.maxReplicas());
      }
      if (s.minReplicas() != null && s.maxReplicas() == null) {
        problems.add("spec.deployment.scaling.max_replicas is required when min_replicas is set");
      }
      if (s.targetCpuUtilization() != null && (s.targetCpuUtilization() < 1 || s.targetCpuUtilization() > 100)) {
        problems.add("spec.deployment.scaling.target_cpu_utilization must be 1..100; got " + s.targetCpuUtilization());
      }
    }
  }

  private static void checkWebhooks(
      BookDefinition book, List<BookInstanceDefinitionSpec.WebhookBinding> webhooks, List<String> problems) {
    var integrations = book.getSpec() == null || book.getSpec().integrations() == null
        ? List.<BookDefinitionSpec.Integration>of()
        : book.getSpec().integrations();
    for (int i = 0; i < webhooks.size(); i++) {
      var w = webhooks.get(i);
      String field = "spec.webhooks[" + i + "]";
      if (w == null || blank(w.integration())) {
        problems.add(field + ".integration is required");
        continue;
      }
      boolean declared = integrations.stream()
          .anyMatch(it -> w.integration().equals(it.name()) && "webhook".equals(it.type()));
      if (!declared) {
        problems.add(field + ".integration '" + w.integration() + "' is not a webhook integration of BookDefinition '"
            + book.getMetadata().getName() + "'");
      }
      if (blank(w.scheme())) {
        problems.add(field + ".scheme is required");
      }
      if (blank(w.credential())) {
        problems.add(field + ".credential is required (the key of the signing secret in the credentials Secret)");
      }
      checkWebhookLimits(field, w, problems);
      Hmac.problems(w.hmac()).forEach(p -> problems.add(field + ".hmac." + p.field() + " " + p.message()));
      String delivery = WebhookDelivery.problem(field, w.delivery(), w.ordered());
      if (delivery != null) {
        problems.add(delivery);
      }
    }
  }

  /** The caps every service applies (WebhookLimits); an instance stored before them fails here, naming the field. */
  private static void checkWebhookLimits(String field, BookInstanceDefinitionSpec.WebhookBinding w, List<String> problems) {
    if (w.toleranceSeconds() != null) {
      WebhookLimits.toleranceSecondsProblem(w.toleranceSeconds()).ifPresent(p -> problems.add(field + ".tolerance_seconds " + p));
    }
    if (w.rateLimit() != null && w.rateLimit().requestsPerSecond() != null) {
      WebhookLimits.requestsPerSecondProblem(w.rateLimit().requestsPerSecond())
          .ifPresent(p -> problems.add(field + ".rate_limit.requests_per_second " + p));
    }
    if (w.rateLimit() != null && w.rateLimit().burst() != null) {
      WebhookLimits.burstProblem(w.rateLimit().burst()).ifPresent(p -> problems.add(field + ".rate_limit.burst " + p));
    }
    if (w.maxBodyBytes() != null) {
      WebhookLimits.maxBodyBytesProblem(w.maxBodyBytes()).ifPresent(p -> problems.add(field + ".max_body_bytes " + p));
    }
  }

  /** Parses a quantity; adds a problem naming {@code field} when it is malformed. Null when absent or bad. */
  private static BigDecimal quantity(String field, String value, List<String> problems) {
    if (value == null) {
      return null;
    }
    Optional<String> problem = Quantities.problem(value);
    if (problem.isPresent()) {
      problems.add(field + ": " + problem.get());
      return null;
    }
    return Quantities.parse(value);
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
