package io.voyager.bdk.controller.desired;

import static io.voyager.bdk.controller.desired.WorkloadFactory.env;

import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.voyager.bdk.model.InstanceCredentials;
import io.voyager.bdk.model.TailscaleRules;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Tailscale sidecar (containerboot, {@code tailscale/tailscale}) and the least it needs: a
 * state Secret, a ServiceAccount, and a Role that may only get, update and patch that one Secret,
 * bound to that ServiceAccount.
 *
 * <p>What only the sidecar gets: the auth key (env {@code TS_AUTHKEY} from the instance's
 * credentials Secret, key {@value InstanceCredentials#TAILSCALE_AUTH_KEY}; the book container mounts
 * every other credential but never this one) and the ServiceAccount's API token (a projected volume
 * mounted into the sidecar alone; the pod mounts no token automatically). It logs in once and keeps
 * its device in the state Secret ({@code TS_AUTH_ONCE}), advertises the instance's validated tags,
 * and answers {@code /healthz} on port {@value #HEALTH_PORT} (200 once it has a tailnet address),
 * its readiness probe — so a pod whose sidecar never joins is never Ready.
 *
 * <p>Userspace mode (the default) runs under the same restricted profile as the book and reaches the
 * tailnet through proxies on localhost — SOCKS5 on {@value #SOCKS5_PORT}, HTTP on
 * {@value #HTTP_PROXY_PORT} — which the book's environment names ({@link BookEnvironment}); kernel
 * mode (only where the operator allows it) needs root with NET_ADMIN and routes the pod's traffic
 * itself.
 */
public final class TailscaleFactory {
  public static final String CONTAINER = "tailscale";
  /** containerboot's health check ({@code TS_ENABLE_HEALTH_CHECK}) port. */
  public static final int HEALTH_PORT = 9002;
  public static final int SOCKS5_PORT = 1055;
  public static final int HTTP_PROXY_PORT = 1056;
  static final String TMP_VOLUME = "tailscale-tmp";
  static final String TOKEN_VOLUME = "tailscale-api-token";
  static final String TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";
  /** How long a projected token lives before kubelet renews it (what kubelet uses for automounted tokens). */
  static final long TOKEN_SECONDS = 3607;
  private static final long TAILSCALE_UID = 10002L;

  private final ControllerSettings settings;

  public TailscaleFactory(ControllerSettings settings) {
    this.settings = settings;
  }

  Container sidecar(Workload w, boolean kernelMode) {
    ValidInstance lead = w.lead();
    var ts = lead.spec().networking().tailscale();
    List<EnvVar> env = new ArrayList<>();
    env.add(env("TS_KUBE_SECRET", WorkloadNames.tailscaleState(w.name())));
    env.add(env("TS_USERSPACE", Boolean.toString(!kernelMode)));
    env.add(env("TS_HOSTNAME", w.name()));
    env.add(env("TS_SOCKET", "/tmp/tailscaled.sock"));
    env.add(env("TS_AUTH_ONCE", "true"));
    env.add(env("TS_ENABLE_HEALTH_CHECK", "true"));
    env.add(env("TS_LOCAL_ADDR_PORT", "[::]:" + HEALTH_PORT));
    if (!kernelMode) {
      env.add(env("TS_SOCKS5_SERVER", "localhost:" + SOCKS5_PORT));
      env.add(env("TS_OUTBOUND_HTTP_PROXY_LISTEN", "localhost:" + HTTP_PROXY_PORT));
    }
    env.add(
        new EnvVarBuilder()
            .withName("TS_AUTHKEY")
            .withNewValueFrom()
            .withNewSecretKeyRef(InstanceCredentials.TAILSCALE_AUTH_KEY, lead.credentialsSecretName(), false)
            .endValueFrom()
            .build());
    if (ts.tags() != null && !ts.tags().isEmpty()) {
      // Validated by InstanceValidator (TailscaleRules): each is tag:<DNS label>, nothing else.
      env.add(env("TS_EXTRA_ARGS", "--advertise-tags=" + String.join(",",
          ts.tags().stream().map(TailscaleRules::advertisedTag).toList())));
    }
    var security = kernelMode
        ? new SecurityContextBuilder()
            .withRunAsNonRoot(false)
            .withRunAsUser(0L)
            .withReadOnlyRootFilesystem(true)
            .withAllowPrivilegeEscalation(false)
            .withCapabilities(new Capabilities(List.of("NET_ADMIN"), List.of("ALL")))
            .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
            .build()
        : WorkloadFactory.restricted(TAILSCALE_UID);
    return new ContainerBuilder()
        .withName(CONTAINER)
        .withImage(settings.images().withRegistry(settings.tailscaleImage()))
        .withImagePullPolicy("IfNotPresent")
        .withEnv(env)
        .addNewPort().withName("ts-health").withContainerPort(HEALTH_PORT).withProtocol("TCP").endPort()
        .withReadinessProbe(new io.fabric8.kubernetes.api.model.ProbeBuilder()
            .withNewHttpGet().withPath("/healthz").withPort(new IntOrString(HEALTH_PORT)).endHttpGet()
            .withInitialDelaySeconds(2)
            .withPeriodSeconds(5)
            .withFailureThreshold(3)
            .build())
        .withResources(new ResourceRequirementsBuilder()
            .withRequests(new TreeMap<>(Map.of("cpu", new Quantity("50m"), "memory", new Quantity("64Mi"))))
            .withLimits(Map.of("memory", new Quantity("256Mi")))
            .build())
        .addNewVolumeMount().withName(TMP_VOLUME).withMountPath("/tmp").endVolumeMount()
        .addNewVolumeMount().withName(TOKEN_VOLUME).withMountPath(TOKEN_PATH).withReadOnly(true).endVolumeMount()
        .withSecurityContext(security)
        .build();
  }

  /**
   * The sidecar's volumes: its /tmp, and its API token as kubelet would automount it (token, the
   * cluster CA, the namespace) — but for this container alone.
   */
  List<Volume> volumes(Workload w) {
    return List.of(
        new VolumeBuilder().withName(TMP_VOLUME).withNewEmptyDir().endEmptyDir().build(),
        new VolumeBuilder().withName(TOKEN_VOLUME)
            .withNewProjected()
            .withDefaultMode(0444)
            .addNewSource().withNewServiceAccountToken().withPath("token").withExpirationSeconds(TOKEN_SECONDS)
            .endServiceAccountToken().endSource()
            .addNewSource().withNewConfigMap().withName("kube-root-ca.crt")
            .addNewItem().withKey("ca.crt").withPath("ca.crt").endItem().endConfigMap().endSource()
            .addNewSource().withNewDownwardAPI()
            .addNewItem().withPath("namespace").withNewFieldRef().withApiVersion("v1").withFieldPath("metadata.namespace")
            .endFieldRef().endItem().endDownwardAPI().endSource()
            .endProjected()
            .build());
  }

  public Secret stateSecret(Workload w) {
    return new SecretBuilder()
        .withMetadata(w.metadata(WorkloadNames.tailscaleState(w.name())))
        .withType("Opaque")
        .build();
  }

  public ServiceAccount serviceAccount(Workload w) {
    return new ServiceAccountBuilder()
        .withMetadata(w.metadata(WorkloadNames.tailscaleIdentity(w.name())))
        .withAutomountServiceAccountToken(false)
        .build();
  }

  public Role role(Workload w) {
    return new RoleBuilder()
        .withMetadata(w.metadata(WorkloadNames.tailscaleIdentity(w.name())))
        .addNewRule()
        .withApiGroups("")
        .withResources("secrets")
        .withResourceNames(WorkloadNames.tailscaleState(w.name()))
        .withVerbs("get", "update", "patch")
        .endRule()
        .build();
  }

  public RoleBinding roleBinding(Workload w) {
    String identity = WorkloadNames.tailscaleIdentity(w.name());
    return new RoleBindingBuilder()
        .withMetadata(w.metadata(identity))
        .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("Role").withName(identity).endRoleRef()
        .addNewSubject().withKind("ServiceAccount").withName(identity).withNamespace(w.namespace()).endSubject()
        .build();
  }
}
