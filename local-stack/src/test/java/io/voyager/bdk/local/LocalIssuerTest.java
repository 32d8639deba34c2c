package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.voyager.bdk.model.Organization;
import io.voyager.bdk.model.OrganizationSpec;
import io.voyager.bdk.support.auth.DevIssuer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@EnableKubernetesMockClient(crud = true)
class LocalIssuerTest {
  KubernetesClient client;
  @TempDir Path runDir;

  String publishedJwks() {
    return client.configMaps().inNamespace("bdk").withName("bdk-jwks").get().getData().get("jwks.json");
  }

  @Test
  void eachStartMakesFreshKeysOwnerOnlyUnderTheRunDirectory() throws Exception {
    DevIssuer first = LocalIssuer.create(runDir);
    DevIssuer second = LocalIssuer.create(runDir);

    Path file = runDir.resolve("auth/issuer.json");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    assertThat(DevIssuer.read(runDir.resolve("auth")).publicJwks()).isEqualTo(second.publicJwks());
    assertThat(second.keyId(DevIssuer.Algorithm.RS256)).isNotEqualTo(first.keyId(DevIssuer.Algorithm.RS256));
    assertThat(first.issuer()).isEqualTo("bdk-local");
    assertThat(first.audience()).isEqualTo("bdk-library");
  }

  @Test
  void theJwksConfigMapIsCreatedThenReplacedByTheNextStack() throws Exception {
    DevIssuer first = LocalIssuer.create(runDir);
    assertThat(LocalIssuer.publish(client, first)).isEqualTo(LocalIssuer.Publication.CREATED);
    assertThat(publishedJwks()).isEqualTo(first.publicJwks());

    DevIssuer next = LocalIssuer.create(runDir);
    assertThat(LocalIssuer.publish(client, next)).isEqualTo(LocalIssuer.Publication.REPLACED);
    assertThat(publishedJwks()).isEqualTo(next.publicJwks());
  }

  @Test
  void aJwksConfigMapThatIsNotTheStacksIsNeverTouched() throws Exception {
    client.resource(new ConfigMapBuilder().withNewMetadata().withNamespace("bdk").withName("bdk-jwks").endMetadata()
        .withData(Map.of("jwks.json", "{\"keys\":[\"the cluster's own\"]}")).build()).create();

    assertThat(LocalIssuer.publish(client, LocalIssuer.create(runDir))).isEqualTo(LocalIssuer.Publication.LEFT_AS_IS);
    assertThat(publishedJwks()).isEqualTo("{\"keys\":[\"the cluster's own\"]}");
  }

  @Test
  void theServicesGetTheSameTokenRuleReadFromTheConfigMap() {
    assertThat(LocalIssuer.jwtFlags()).containsExactly(
        "--jwt-issuer", "bdk-local", "--jwt-audience", "bdk-library", "--jwks-configmap", "bdk/bdk-jwks:jwks.json");
  }

  @Test
  void theDemoOrganizationsAreCreatedOnlyWhenMissing() {
    Organization own = new Organization();
    own.getMetadata().setNamespace("bdk");
    own.getMetadata().setName("acme");
    own.setSpec(new OrganizationSpec("acme", "mine", List.of("customer-acme"), null));
    client.resource(own).create();

    assertThat(LocalOrganizations.seed(client)).containsExactly("globex");
    assertThat(LocalOrganizations.seed(client)).isEmpty();
    assertThat(client.resources(Organization.class).inNamespace("bdk").withName("acme").get().getSpec().displayName())
        .isEqualTo("mine");
    OrganizationSpec globex = client.resources(Organization.class).inNamespace("bdk").withName("globex").get().getSpec();
    assertThat(globex.organizationId()).isEqualTo("globex");
    assertThat(globex.namespaces()).containsExactly("customer-globex");
    assertThat(globex.quotas().maxInstances()).isPositive();
    assertThat(LocalOrganizations.organizationOf("customer-acme")).isEqualTo("acme");
  }
}
