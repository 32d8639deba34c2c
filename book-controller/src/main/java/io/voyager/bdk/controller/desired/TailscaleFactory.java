package io.voyager.bdk.controller.desired;

import static io.voyager.bdk.controller.desired.WorkloadFactory.env;

import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import java.util.ArrayList;
import java.util.List;

/**
 * The Tailscale sidecar and the least it needs: a state Secret, a ServiceAccount, and a Role that
 * may only get, update and patch that one Secret, bound to that ServiceAccount. Userspace mode runs
 * under the same restricted profile as the book; kernel mode needs root with NET_ADMIN (and only
 * that capability) to manage the tun device. The auth key is read from the instance's credentials
 * Secret, key {@value #AUTH_KEY}, when present.
 */
public final class TailscaleFactory {
  public static final String CONTAINER = "tailscale";
  public static final String AUTH_KEY = "tailscale_auth_key";
  static final String TMP_VOLUME = "tailscale-tmp";
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
    env.add(
        new EnvVarBuilder()
            .withName("TS_AUTHKEY")
            .withNewValueFrom()
            .withNewSecretKeyRef(AUTH_KEY, lead.credentialsSecretName(), true)
            .endValueFrom()
            .build());
    if (ts.tags() != null && !ts.tags().isEmpty()) {
      env.add(env("TS_EXTRA_ARGS", "--advertise-tags=" + String.join(",", ts.tags().stream().map(t -> t.startsWith("tag:") ? t : "tag:" + t).toList())));
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
        .addNewVolumeMount().withName(TMP_VOLUME).withMountPath("/tmp").endVolumeMount()
        .withSecurityContext(security)
        .build();
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
        .withAutomountServiceAccountToken(true)
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
