package io.voyager.bdk.controller.desired;

import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.voyager.bdk.model.BookWake;
import io.voyager.bdk.model.DeploymentType;
import io.voyager.bdk.model.InstanceCredentials;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPortBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRuleBuilder;
import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import io.voyager.bdk.model.EgressRules;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Desired Deployment, Service, NetworkPolicies and HorizontalPodAutoscaler of a {@link Workload}.
 * Pure: the same workload, settings and credentials digest always give the same objects.
 *
 * <p>A book's pods get two NetworkPolicies: {@code <workload>-ingress} (only the gateway's Envoy
 * pods, on the book port) and {@code <workload>-egress} (only the cluster DNS, what its instances
 * declare in {@code networking.egress}, and what Tailscale needs when it is on). Kubernetes adds
 * policies up, so these are all a book pod may do, with or without the namespace's default-deny
 * policy (an Organization's namespaces have one: {@link NamespaceGuardrails}).
 */
public final class WorkloadFactory {
  public static final int HTTP_PORT = 8080;
  public static final String HTTP_PORT_NAME = "http";
  public static final String BOOK_CONTAINER = "book";
  public static final String SECRETS_PATH = "/secrets";
  static final long BOOK_UID = 10001L;
  private static final int DEFAULT_TARGET_CPU = 80;

  private final ControllerSettings settings;
  private final TailscaleFactory tailscale;

  public WorkloadFactory(ControllerSettings settings) {
    this.settings = settings;
    this.tailscale = new TailscaleFactory(settings);
  }

  /**
   * The Deployment the workload's spec asks for. Its pod template carries its revision, the
   * {@value ManagedLabels#CONFIG_HASH} annotation: a digest of the template itself and of the
   * credentials it mounts, so the pods roll exactly when what they run or read changes — a changed
   * image, environment or resources, or a rotated credential the book mounts — and not when a
   * replica count, an autoscaler bound or a webhook's rate limit changes.
   *
   * @param mountedCredentials per tenant (by instance name), a salted digest of the values of the
   *     credentials its book mounts ({@link #mountedCredentials}); empty when none has a value yet
   */
  public Deployment deployment(Workload w, Map<String, String> mountedCredentials) {
    ValidInstance lead = w.lead();
    boolean ts = lead.tailscaleEnabled();
    boolean kernelTs = ts && ControllerSettings.TAILSCALE_KERNEL.equals(lead.tailscaleMode());

    List<Container> containers = new ArrayList<>();
    containers.add(bookContainer(w));
    List<Volume> volumes = new ArrayList<>(credentialVolumes(w));
    volumes.add(new VolumeBuilder().withName("tmp").withNewEmptyDir().endEmptyDir().build());
    if (ts) {
      containers.add(tailscale.sidecar(w, kernelTs));
      volumes.addAll(tailscale.volumes(w));
    }

    Deployment deployment = new DeploymentBuilder()
        .withMetadata(w.metadata(w.name()))
        .withNewSpec()
        // Autoscaled: start at the minimum (the API server would default a missing count to 1);
        // afterwards the autoscaler owns the count and updates keep the live one.
        .withReplicas(hasAutoscaler(w) ? minReplicas(w) : replicas(w))
        .withNewSelector().withMatchLabels(w.selector()).endSelector()
        .withNewTemplate()
        .withNewMetadata().withLabels(w.labels()).withAnnotations(new TreeMap<>(w.annotations())).endMetadata()
        .withNewSpec()
        .withServiceAccountName(ts ? WorkloadNames.tailscaleIdentity(w.name()) : null)
        // The Tailscale sidecar's API token is a projected volume mounted into the sidecar alone:
        // nothing is mounted automatically, so the book container never holds a token.
        .withAutomountServiceAccountToken(false)
        .withEnableServiceLinks(false)
        .withSecurityContext(
            new PodSecurityContextBuilder()
                .withFsGroup(BOOK_UID)
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                .build())
        .withContainers(containers)
        .withVolumes(volumes)
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
    Map<String, Object> revision = new TreeMap<>();
    revision.put("template", deployment.getSpec().getTemplate());
    revision.put("credentials", new TreeMap<>(mountedCredentials));
    deployment.getSpec().getTemplate().getMetadata().getAnnotations().put(ManagedLabels.CONFIG_HASH, ContentHash.of(revision));
    return deployment;
  }

  /**
   * The Deployment as it runs, given what happened to it: the last Ready revision's pod template
   * when the wanted one was rolled back, the rollout's and sleep's annotations, and no replicas
   * while it sleeps.
   */
  public Deployment shaped(Deployment wanted, WorkloadRuntime runtime) {
    runtime.rolledBackTemplate().filter(t -> runtime.rollout().rolledBack()).ifPresent(t -> wanted.getSpec().setTemplate(t));
    Map<String, String> annotations = new TreeMap<>(
        wanted.getMetadata().getAnnotations() == null ? Map.of() : wanted.getMetadata().getAnnotations());
    annotations.putAll(runtime.rollout().annotations());
    annotations.putAll(runtime.sleep().annotations());
    wanted.getMetadata().setAnnotations(annotations);
    if (runtime.sleep().asleep()) {
      wanted.getSpec().setReplicas(0);
    }
    return wanted;
  }

  /**
   * The Lease a webhook-triggered workload's webhooks wake it through ({@link BookWake}), with
   * {@code ready} saying whether it serves; empty for workloads that never sleep.
   */
  public Optional<Lease> wakeLease(Workload w, boolean serving) {
    if (w.type() != DeploymentType.WEBHOOK_TRIGGERED || !settings.sleepEnabled()) {
      return Optional.empty();
    }
    ObjectMeta meta = w.metadata(WorkloadNames.wakeLease(w.name()));
    meta.getLabels().put(BookWake.LEASE_LABEL, "true");
    Map<String, String> annotations = new TreeMap<>(meta.getAnnotations() == null ? Map.of() : meta.getAnnotations());
    annotations.put(BookWake.READY, Boolean.toString(serving));
    meta.setAnnotations(annotations);
    return Optional.of(new LeaseBuilder().withMetadata(meta).build());
  }

  /**
   * The credentials the book container of {@code t} mounts: every credential its spec declares
   * except the Tailscale auth key, which only the sidecar gets. Sorted.
   */
  public static List<String> mountedCredentials(ValidInstance t) {
    var declared = t.spec().credentials() == null ? List.<BookInstanceDefinitionSpec.Credential>of() : t.spec().credentials();
    return declared.stream()
        .filter(c -> c != null && c.name() != null && !InstanceCredentials.TAILSCALE_AUTH_KEY.equals(c.name()))
        .map(BookInstanceDefinitionSpec.Credential::name)
        .distinct()
        .sorted()
        .toList();
  }

  /** Null when the workload receives no traffic (long-polling). */
  public Optional<Service> service(Workload w) {
    if (!w.type().receivesTraffic()) {
      return Optional.empty();
    }
    return Optional.of(
        new ServiceBuilder()
            .withMetadata(w.metadata(w.name()))
            .withNewSpec()
            .withType("ClusterIP")
            .withSelector(w.selector())
            .addNewPort()
            .withName(HTTP_PORT_NAME)
            .withProtocol("TCP")
            .withPort(HTTP_PORT)
            .withTargetPort(new IntOrString(HTTP_PORT))
            .endPort()
            .endSpec()
            .build());
  }

  /** Ingress to the book only from the gateway; a workload that receives no traffic admits none. */
  public NetworkPolicy networkPolicy(Workload w) {
    List<NetworkPolicyIngressRule> ingress = new ArrayList<>();
    if (w.type().receivesTraffic()) {
      ingress.add(
          new NetworkPolicyIngressRuleBuilder()
              .addNewFrom()
              .withNewNamespaceSelector()
              .withMatchLabels(Map.of("kubernetes.io/metadata.name", settings.gatewayNamespace()))
              .endNamespaceSelector()
              .withNewPodSelector().withMatchLabels(settings.gatewayPodLabels()).endPodSelector()
              .endFrom()
              .addNewPort().withProtocol("TCP").withPort(new IntOrString(HTTP_PORT)).endPort()
              .build());
    }
    return new NetworkPolicyBuilder()
        .withMetadata(w.metadata(WorkloadNames.gatewayPolicy(w.name())))
        .withNewSpec()
        .withNewPodSelector().withMatchLabels(w.selector()).endPodSelector()
        .withPolicyTypes("Ingress")
        .withIngress(ingress)
        .endSpec()
        .build();
  }

  /**
   * Where the workload's pods may connect: the cluster DNS; every tenant's declared
   * {@code networking.egress} (a shared workload's pods serve them all: the union, in tenant order,
   * each rule once); and with Tailscale (the lead tenant's, as the sidecar) its coordination and
   * DERP relay servers — TCP 443, UDP 41641 (WireGuard) and UDP 3478 (STUN) at any address, since
   * Tailscale's servers and peers have no fixed addresses — plus the Kubernetes API for its state
   * Secret (on 443 already; elsewhere only where {@code --api-server-egress} says).
   */
  public NetworkPolicy egressPolicy(Workload w) {
    List<NetworkPolicyEgressRule> egress = new ArrayList<>();
    egress.add(dnsEgress(settings));
    LinkedHashSet<BookInstanceDefinitionSpec.EgressRule> declared = new LinkedHashSet<>();
    for (ValidInstance t : w.tenants()) {
      var net = t.spec().networking();
      if (net != null && net.egress() != null) {
        declared.addAll(net.egress());
      }
    }
    for (var rule : declared) {
      List<NetworkPolicyPort> ports = new ArrayList<>();
      for (var p : rule.ports() == null ? List.<BookInstanceDefinitionSpec.EgressPort>of() : rule.ports()) {
        ports.add(port(EgressRules.protocol(p), p.port()));
      }
      egress.add(new NetworkPolicyEgressRuleBuilder()
          .addNewTo().withNewIpBlock().withCidr(rule.cidr())
          .withExcept(rule.except() == null || rule.except().isEmpty() ? null : rule.except()).endIpBlock().endTo()
          .withPorts(ports.isEmpty() ? null : ports)
          .build());
    }
    if (w.lead().tailscaleEnabled()) {
      egress.add(new NetworkPolicyEgressRuleBuilder()
          .withTo(anyAddress())
          .withPorts(port("TCP", 443), port("UDP", TAILSCALE_WIREGUARD_PORT), port("UDP", TAILSCALE_STUN_PORT))
          .build());
      for (var api : settings.apiServerEgress()) {
        egress.add(new NetworkPolicyEgressRuleBuilder()
            .addNewTo().withNewIpBlock().withCidr(api.cidr()).endIpBlock().endTo()
            .withPorts(port("TCP", api.port()))
            .build());
      }
    }
    return new NetworkPolicyBuilder()
        .withMetadata(w.metadata(WorkloadNames.egressPolicy(w.name())))
        .withNewSpec()
        .withNewPodSelector().withMatchLabels(w.selector()).endPodSelector()
        .withPolicyTypes("Egress")
        .withEgress(egress)
        .endSpec()
        .build();
  }

  static final int TAILSCALE_WIREGUARD_PORT = 41641;
  static final int TAILSCALE_STUN_PORT = 3478;

  /** To the cluster DNS pods on port 53, UDP and TCP: what every book pod may always reach. */
  static NetworkPolicyEgressRule dnsEgress(ControllerSettings settings) {
    return new NetworkPolicyEgressRuleBuilder()
        .addNewTo()
        .withNewNamespaceSelector()
        .withMatchLabels(Map.of("kubernetes.io/metadata.name", settings.dnsNamespace()))
        .endNamespaceSelector()
        .withNewPodSelector().withMatchLabels(settings.dnsPodLabels()).endPodSelector()
        .endTo()
        .withPorts(port("UDP", 53), port("TCP", 53))
        .build();
  }

  private static List<NetworkPolicyPeer> anyAddress() {
    return List.of(
        new NetworkPolicyPeerBuilder().withNewIpBlock().withCidr("0.0.0.0/0").endIpBlock().build(),
        new NetworkPolicyPeerBuilder().withNewIpBlock().withCidr("::/0").endIpBlock().build());
  }

  private static NetworkPolicyPort port(String protocol, int port) {
    return new NetworkPolicyPortBuilder().withProtocol(protocol).withPort(new IntOrString(port)).build();
  }

  /** Present when the lead tenant's {@code spec.deployment.scaling} gives bounds. */
  public Optional<HorizontalPodAutoscaler> autoscaler(Workload w) {
    if (!hasAutoscaler(w)) {
      return Optional.empty();
    }
    var s = scaling(w);
    int target = s.targetCpuUtilization() == null ? DEFAULT_TARGET_CPU : s.targetCpuUtilization();
    return Optional.of(
        new HorizontalPodAutoscalerBuilder()
            .withMetadata(w.metadata(w.name()))
            .withNewSpec()
            .withNewScaleTargetRef().withApiVersion("apps/v1").withKind("Deployment").withName(w.name()).endScaleTargetRef()
            .withMinReplicas(minReplicas(w))
            .withMaxReplicas(s.maxReplicas())
            .addNewMetric()
            .withType("Resource")
            .withNewResource()
            .withName("cpu")
            .withNewTarget().withType("Utilization").withAverageUtilization(target).endTarget()
            .endResource()
            .endMetric()
            .endSpec()
            .build());
  }

  public static boolean hasAutoscaler(Workload w) {
    var s = scaling(w);
    return s != null && s.maxReplicas() != null;
  }

  /** Replicas to start with when an autoscaler owns the count. */
  public static int minReplicas(Workload w) {
    var s = scaling(w);
    return s == null || s.minReplicas() == null ? 1 : s.minReplicas();
  }

  private static BookInstanceDefinitionSpec.Scaling scaling(Workload w) {
    var d = w.lead().spec().deployment();
    return d == null ? null : d.scaling();
  }

  /** Most replicas any tenant asks for (1 by default). */
  static int replicas(Workload w) {
    return w.tenants().stream()
        .map(t -> t.spec().deployment() == null ? null : t.spec().deployment().replicas())
        .filter(r -> r != null)
        .max(Integer::compare)
        .orElse(1);
  }

  private Container bookContainer(Workload w) {
    List<VolumeMount> mounts = new ArrayList<>();
    if (w.shared()) {
      for (ValidInstance t : w.tenants()) {
        mounts.add(mount(credentialVolumeName(w, t), SECRETS_PATH + "/" + t.name()));
      }
    } else {
      mounts.add(mount(credentialVolumeName(w, w.lead()), SECRETS_PATH));
    }
    mounts.add(new VolumeMountBuilder().withName("tmp").withMountPath("/tmp").build());
    return new ContainerBuilder()
        .withName(BOOK_CONTAINER)
        .withImage(w.lead().image())
        .withImagePullPolicy("IfNotPresent")
        .addNewPort().withName(HTTP_PORT_NAME).withContainerPort(HTTP_PORT).withProtocol("TCP").endPort()
        .withEnv(BookEnvironment.of(w, settings))
        .withResources(resources(w.lead().spec().deployment()))
        .withVolumeMounts(mounts)
        .withLivenessProbe(healthProbe(30, 10, 3))
        .withReadinessProbe(healthProbe(5, 5, 3))
        .withSecurityContext(restricted(BOOK_UID))
        .build();
  }

  private static VolumeMount mount(String volume, String path) {
    return new VolumeMountBuilder().withName(volume).withMountPath(path).withReadOnly(true).build();
  }

  /**
   * One volume per tenant with the credentials its book mounts, by name (a key absent from the
   * Secret is left out rather than failing the mount); an empty directory when it mounts none, so
   * {@value #SECRETS_PATH} always exists. Never the Tailscale auth key.
   */
  private static List<Volume> credentialVolumes(Workload w) {
    List<Volume> volumes = new ArrayList<>();
    for (ValidInstance t : w.tenants()) {
      List<String> mounted = mountedCredentials(t);
      if (mounted.isEmpty()) {
        volumes.add(new VolumeBuilder().withName(credentialVolumeName(w, t)).withNewEmptyDir().endEmptyDir().build());
        continue;
      }
      volumes.add(
          new VolumeBuilder()
              .withName(credentialVolumeName(w, t))
              .withNewSecret()
              .withSecretName(t.credentialsSecretName())
              .withItems(mounted.stream().map(k -> new KeyToPath(k, null, k)).toList())
              .withDefaultMode(0440)
              .withOptional(true)
              .endSecret()
              .build());
    }
    return volumes;
  }

  /** {@code book-credentials} for a single tenant; {@code credentials-<n>} per tenant of a shared workload. */
  private static String credentialVolumeName(Workload w, ValidInstance t) {
    return w.shared() ? "credentials-" + w.tenants().indexOf(t) : "book-credentials";
  }

  private static Probe healthProbe(int initialDelay, int period, int failureThreshold) {
    return new ProbeBuilder()
        .withNewHttpGet().withPath("/health").withPort(new IntOrString(HTTP_PORT)).endHttpGet()
        .withInitialDelaySeconds(initialDelay)
        .withPeriodSeconds(period)
        .withFailureThreshold(failureThreshold)
        .build();
  }

  /** Kubernetes' "restricted" pod security profile for one container. */
  public static SecurityContext restricted(long uid) {
    return new SecurityContextBuilder()
        .withRunAsNonRoot(true)
        .withRunAsUser(uid)
        .withRunAsGroup(uid)
        .withReadOnlyRootFilesystem(true)
        .withAllowPrivilegeEscalation(false)
        .withCapabilities(new Capabilities(null, List.of("ALL")))
        .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
        .build();
  }

  static ResourceRequirements resources(BookInstanceDefinitionSpec.Deployment d) {
    Map<String, Quantity> requests = new LinkedHashMap<>();
    Map<String, Quantity> limits = new LinkedHashMap<>();
    var r = d == null ? null : d.resources();
    if (r != null) {
      if (r.cpu() != null) requests.put("cpu", new Quantity(r.cpu()));
      if (r.memory() != null) requests.put("memory", new Quantity(r.memory()));
      if (r.cpuLimit() != null) limits.put("cpu", new Quantity(r.cpuLimit()));
      if (r.memoryLimit() != null) limits.put("memory", new Quantity(r.memoryLimit()));
    }
    // Without an explicit memory limit, cap memory at the request: a book must not starve its neighbours.
    if (!limits.containsKey("memory") && requests.containsKey("memory")) {
      limits.put("memory", requests.get("memory"));
    }
    ResourceRequirements req = new ResourceRequirements();
    req.setRequests(requests.isEmpty() ? null : requests);
    req.setLimits(limits.isEmpty() ? null : limits);
    return req;
  }

  static EnvVar env(String name, String value) {
    return new EnvVarBuilder().withName(name).withValue(value).build();
  }
}
