package io.voyager.bdk.controller.apply;

import io.voyager.bdk.controller.desired.ContentHash;
import io.voyager.bdk.controller.desired.ManagedLabels;
import io.voyager.bdk.controller.desired.ValidInstance;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.CredentialRotations;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import io.voyager.bdk.controller.desired.WorkloadFactory;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The instance's credentials Secret ({@code <instance>-credentials} in the customer namespace). The
 * library service writes its values; the controller makes it (empty) when it is absent so the pod
 * can mount it, and labels one it finds unlabelled so its informer sees later rotations. Values
 * are only ever read to compute the pod template's digest — never logged.
 */
public final class CredentialsSecrets {
  private static final Logger log = LoggerFactory.getLogger(CredentialsSecrets.class);

  private final KubernetesClient client;
  private final ManagedCache caches;

  public CredentialsSecrets(KubernetesClient client, ManagedCache caches) {
    this.client = client;
    this.caches = caches;
  }

  /** Makes sure the Secret exists and is labelled; returns its data (empty map if none). */
  public Map<String, String> ensure(ValidInstance instance) {
    String namespace = instance.customerNamespace();
    String name = instance.credentialsSecretName();
    var cache = caches.of(Secret.class);
    ResourceID id = new ResourceID(name, namespace);
    Optional<Secret> cached = cache.get(id);
    if (cached.isPresent() && labelled(cached.get(), instance)) {
      return data(cached.get());
    }
    Secret live = cached.orElseGet(() -> client.secrets().inNamespace(namespace).withName(name).get());
    if (live == null) {
      try {
        Secret created = client.resource(
                new SecretBuilder()
                    .withNewMetadata().withName(name).withNamespace(namespace).withLabels(labels(instance)).endMetadata()
                    .withType("Opaque")
                    .build())
            .create();
        cache.handleRecentResourceCreate(id, created);
        log.info("event=credentials_secret_created namespace={} name={}", namespace, name);
        return Map.of();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw e;
        }
        live = client.secrets().inNamespace(namespace).withName(name).get(); // the library service made it first
        if (live == null) {
          throw e;
        }
      }
    }
    // A patch of the labels alone: the library service may be writing the values right now.
    Secret updated = client.secrets().inNamespace(namespace).withName(name)
        .edit(s -> new SecretBuilder(s).editMetadata().addToLabels(labels(instance)).endMetadata().build());
    cache.handleRecentResourceUpdate(id, updated, live);
    log.info("event=credentials_secret_adopted namespace={} name={}", namespace, name);
    return data(updated);
  }

  /**
   * A digest of the current values of the credentials {@code instance}'s book mounts
   * ({@link WorkloadFactory#mountedCredentials}), as the cached Secret holds them, salted with the
   * Secret's uid; empty when the Secret is not (yet) known or holds none of them, so its appearing
   * empty changes nothing. It stands for those credentials in the pod template's revision: a
   * rotation of a mounted credential rolls the pods; a change of a credential the book does not
   * mount (the Tailscale auth key) or a metadata-only write (labels) does not. A rotation with an
   * overlap ({@link CredentialRotations}) stores the new value's lines followed by the previous
   * value's: only the current lines count, so the rotation rolls the pods once and the sweep that
   * later drops the previous lines rolls none. The salt is what keeps anyone who can read
   * Deployments, but not Secrets, from testing guesses of a weak credential against it offline.
   */
  public String cachedDigest(ValidInstance instance) {
    List<String> mounted = WorkloadFactory.mountedCredentials(instance);
    return cached(instance)
        .map(s -> {
          Map<String, String> values = currentValues(data(s), s.getMetadata().getAnnotations(), mounted);
          return values.isEmpty() ? "" : ContentHash.of(Map.of("uid", String.valueOf(s.getMetadata().getUid()), "data", values));
        })
        .orElse("");
  }

  /**
   * The base64 values of {@code names} in a Secret's {@code data}, each without its previous
   * value's lines while a rotation's overlap keeps them ({@link CredentialRotations#PREVIOUS_VALUES}
   * in {@code annotations}); a value with no such entry is as stored, so a Secret that never saw an
   * overlap digests as it always did, and a swept value digests as it did during its overlap. An
   * annotation that is not the contract's JSON (a hand edit) counts as none: every line counts.
   */
  static Map<String, String> currentValues(Map<String, String> data, Map<String, String> annotations, List<String> names) {
    Map<String, String> values = new TreeMap<>(data);
    values.keySet().retainAll(names);
    Map<String, CredentialRotations.Previous> pending;
    try {
      pending = CredentialRotations.parse(annotations == null ? null : annotations.get(CredentialRotations.PREVIOUS_VALUES));
    } catch (IllegalArgumentException e) {
      pending = Map.of();
    }
    for (Map.Entry<String, CredentialRotations.Previous> entry : pending.entrySet()) {
      String stored = values.get(entry.getKey());
      if (stored == null) {
        continue;
      }
      String decoded;
      try {
        decoded = new String(Base64.getDecoder().decode(stored), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException notBase64) {
        continue;
      }
      String current = CredentialRotations.current(decoded, entry.getValue());
      if (!current.equals(decoded)) {
        values.put(entry.getKey(), Base64.getEncoder().encodeToString(current.getBytes(StandardCharsets.UTF_8)));
      }
    }
    return values;
  }

  /** The credential names the cached Secret holds a non-empty value for (none when it is not known). */
  public Set<String> presentKeys(ValidInstance instance) {
    Set<String> keys = new TreeSet<>();
    cached(instance).ifPresent(s -> data(s).forEach((k, v) -> {
      if (v != null && !v.isEmpty()) {
        keys.add(k);
      }
    }));
    return keys;
  }

  private Optional<Secret> cached(ValidInstance instance) {
    return caches.of(Secret.class).get(new ResourceID(instance.credentialsSecretName(), instance.customerNamespace()));
  }

  private static boolean labelled(Secret s, ValidInstance instance) {
    var labels = s.getMetadata().getLabels();
    return labels != null && labels.entrySet().containsAll(labels(instance).entrySet());
  }

  private static Map<String, String> labels(ValidInstance instance) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(BdkLabels.MANAGED_BY, ManagedLabels.MANAGER);
    labels.put(BdkLabels.INSTANCE_NAME, instance.name());
    if (instance.instanceId() != null) {
      labels.put(BdkLabels.INSTANCE_ID, instance.instanceId());
    }
    return labels;
  }

  private static Map<String, String> data(Secret s) {
    Map<String, String> data = new LinkedHashMap<>();
    if (s.getData() != null) {
      data.putAll(s.getData());
    }
    if (s.getStringData() != null) {
      data.putAll(s.getStringData());
    }
    return data;
  }
}
