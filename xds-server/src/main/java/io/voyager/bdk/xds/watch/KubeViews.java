package io.voyager.bdk.xds.watch;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.support.auth.JwtSettings;
import io.voyager.bdk.xds.model.BookSource;
import io.voyager.bdk.xds.model.EndpointSliceView;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/** Kubernetes objects → the translator's immutable model. Pure. */
public final class KubeViews {
  private KubeViews() {}

  public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

  /** {@code ConfigMap bdk/bdk-jwks key jwks.json}: how logs and reasons name a JWKS object. */
  public static String describe(JwtSettings.KubernetesJwks source) {
    return (source.kind() == JwtSettings.KubernetesJwks.Kind.SECRET ? "Secret " : "ConfigMap ")
        + source.namespace() + "/" + source.name() + " key " + source.key();
  }

  /**
   * The text under {@code key} of a ConfigMap ({@code data}, else {@code binaryData}) or Secret
   * ({@code data}, base64-decoded); null when absent or not decodable.
   */
  public static String jwksContent(HasMetadata object, String key) {
    String encoded = null;
    if (object instanceof ConfigMap configMap) {
      if (configMap.getData() != null && configMap.getData().get(key) != null) {
        return configMap.getData().get(key);
      }
      encoded = configMap.getBinaryData() == null ? null : configMap.getBinaryData().get(key);
    } else if (object instanceof Secret secret) {
      encoded = secret.getData() == null ? null : secret.getData().get(key);
    }
    if (encoded == null) {
      return null;
    }
    try {
      return new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** The text under {@code key} of a Secret's {@code data} (base64-decoded); null when absent or not decodable. */
  public static String secretText(Secret secret, String key) {
    String encoded = secret.getData() == null ? null : secret.getData().get(key);
    if (encoded == null) {
      return null;
    }
    try {
      return new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  public static BookSource book(ExternalBookDefinition ebd) {
    return new BookSource(ebd.getMetadata().getNamespace(), ebd.getMetadata().getName(), ebd.getSpec());
  }

  /** Null when the slice names no Service (no {@value #SERVICE_NAME_LABEL} label). */
  public static EndpointSliceView slice(EndpointSlice slice) {
    Map<String, String> labels = slice.getMetadata().getLabels();
    String service = labels == null ? null : labels.get(SERVICE_NAME_LABEL);
    if (service == null || service.isBlank()) {
      return null;
    }
    List<EndpointSliceView.Port> ports = new ArrayList<>();
    if (slice.getPorts() != null) {
      slice.getPorts().forEach(p -> {
        if (p.getPort() != null) {
          ports.add(new EndpointSliceView.Port(p.getName(), p.getPort()));
        }
      });
    }
    List<EndpointSliceView.Endpoint> endpoints = new ArrayList<>();
    if (slice.getEndpoints() != null) {
      slice.getEndpoints().forEach(e -> {
        if (e.getAddresses() != null && !e.getAddresses().isEmpty()) {
          EndpointConditions c = e.getConditions();
          boolean ready = c == null || c.getReady() == null || c.getReady();
          endpoints.add(new EndpointSliceView.Endpoint(e.getAddresses().get(0), ready));
        }
      });
    }
    return new EndpointSliceView(slice.getMetadata().getNamespace(), slice.getMetadata().getName(), service, ports, endpoints);
  }
}
