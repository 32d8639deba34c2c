package io.voyager.bdk.local;

import io.fabric8.kubernetes.api.model.NamedAuthInfoBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.support.KubeClients;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A ServiceAccount of namespace bdk as the API server sees it: a kubeconfig holding a real token
 * of that ServiceAccount (TokenRequest API; the API server validates it like a pod's projected
 * token, with the ServiceAccount's groups), and a client of the same identity.
 */
record ServiceAccountIdentity(String serviceAccount, Path kubeconfig, KubernetesClient client) implements AutoCloseable {

  /** {@code bdk/<serviceAccount>}'s identity; {@code kubeConfigYaml} is the cluster-admin kubeconfig to copy. */
  static ServiceAccountIdentity of(KubernetesClient admin, String kubeConfigYaml, Path dir, String serviceAccount)
      throws IOException {
    String token = admin.serviceAccounts().inNamespace(BdkLabels.BDK_NAMESPACE).withName(serviceAccount)
        .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build())
        .getStatus().getToken();
    var kubeconfig = Serialization.unmarshal(kubeConfigYaml, io.fabric8.kubernetes.api.model.Config.class);
    String user = kubeconfig.getContexts().get(0).getContext().getUser();
    kubeconfig.setUsers(List.of(new NamedAuthInfoBuilder().withName(user).withNewUser().withToken(token).endUser().build()));
    Path file = dir.resolve(serviceAccount + ".kubeconfig");
    Files.writeString(file, Serialization.asYaml(kubeconfig));
    return new ServiceAccountIdentity(serviceAccount, file, KubeClients.create(file));
  }

  @Override
  public void close() {
    client.close();
  }
}
