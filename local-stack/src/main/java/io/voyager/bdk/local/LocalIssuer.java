package io.voyager.bdk.local;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.voyager.bdk.support.auth.DevIssuer;
import io.voyager.bdk.support.auth.JwtSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local stack is its own token issuer. At every start it creates fresh signing keys (RS256 and
 * ES256, {@link DevIssuer}), writes the issuer with its private keys to {@code <run dir>/auth/}
 * (owner-only; what {@code bdkctl token} reads) and publishes the public keys as ConfigMap
 * {@code bdk/bdk-jwks} (key {@code jwks.json}) — the same Kubernetes JWKS path the xds-server and the
 * library-service take in a cluster, with the same {@link #jwtFlags()}.
 */
public final class LocalIssuer {
  private static final Logger log = LoggerFactory.getLogger(LocalIssuer.class);

  /** Under the run directory: where the issuer file goes. */
  public static final String AUTH_DIR = "auth";
  /** Marks the JWKS ConfigMap as the local stack's (it may then replace its keys at the next start). */
  public static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
  public static final String MANAGED_BY = "bdk-local-stack";

  private LocalIssuer() {}

  /** What happened to the JWKS ConfigMap at start. */
  public enum Publication {
    CREATED("created"),
    REPLACED("keys replaced (a previous local stack's)"),
    LEFT_AS_IS("existed and is not the local stack's: left as it is, so tokens from bdkctl are refused");

    private final String description;

    Publication(String description) {
      this.description = description;
    }

    public String description() {
      return description;
    }
  }

  /** The flags the xds-server and the library-service both get: the local issuer and audience, keys from the ConfigMap. */
  public static List<String> jwtFlags() {
    JwtSettings.KubernetesJwks jwks = DevIssuer.LOCAL_JWKS;
    return List.of(
        "--jwt-issuer", DevIssuer.LOCAL_ISSUER,
        "--jwt-audience", DevIssuer.LOCAL_AUDIENCE,
        "--jwks-configmap", jwks.namespace() + "/" + jwks.name() + ":" + jwks.key());
  }

  /** New keys, written to {@code runDir/auth/issuer.json} (0600 in a 0700 directory). */
  public static DevIssuer create(Path runDir) throws IOException {
    DevIssuer issuer = DevIssuer.generate(DevIssuer.LOCAL_ISSUER, DevIssuer.LOCAL_AUDIENCE);
    Path file = issuer.writeTo(runDir.resolve(AUTH_DIR));
    log.info("event=local_issuer_created issuer={} audience={} kids=[{}, {}] file={}", issuer.issuer(), issuer.audience(),
        issuer.keyId(DevIssuer.Algorithm.RS256), issuer.keyId(DevIssuer.Algorithm.ES256), file);
    return issuer;
  }

  /**
   * Publishes {@code issuer}'s public keys as the JWKS ConfigMap: created when missing; replaced
   * when a previous local stack made it; an existing ConfigMap that is not the local stack's (a
   * real cluster's own keys) is never touched.
   */
  public static Publication publish(KubernetesClient client, DevIssuer issuer) {
    JwtSettings.KubernetesJwks ref = DevIssuer.LOCAL_JWKS;
    ConfigMap wanted = new ConfigMapBuilder()
        .withNewMetadata()
          .withNamespace(ref.namespace())
          .withName(ref.name())
          .withLabels(Map.of(MANAGED_BY_LABEL, MANAGED_BY))
        .endMetadata()
        .withData(Map.of(ref.key(), issuer.publicJwks()))
        .build();
    ConfigMap existing = client.configMaps().inNamespace(ref.namespace()).withName(ref.name()).get();
    Publication result;
    if (existing == null) {
      try {
        client.resource(wanted).create();
        result = Publication.CREATED;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw e;
        }
        return publish(client, issuer); // created in between: look again
      }
    } else if (existing.getMetadata().getLabels() != null
        && MANAGED_BY.equals(existing.getMetadata().getLabels().get(MANAGED_BY_LABEL))) {
      existing.setData(wanted.getData());
      client.resource(existing).update();
      result = Publication.REPLACED;
    } else {
      result = Publication.LEFT_AS_IS;
    }
    if (result == Publication.LEFT_AS_IS) {
      log.warn("event=local_jwks_not_published configmap={}/{} reason=\"{}\"", ref.namespace(), ref.name(), result.description());
    } else {
      log.info("event=local_jwks_published configmap={}/{} key={} result={}", ref.namespace(), ref.name(), ref.key(), result);
    }
    return result;
  }
}
