package io.voyager.bdk.extauthz.secrets;

/** Which key of which Kubernetes Secret holds an endpoint's signing secrets. */
public record SecretRef(String namespace, String name, String key) {
  @Override
  public String toString() {
    return namespace + "/" + name + "[" + key + "]";
  }
}
