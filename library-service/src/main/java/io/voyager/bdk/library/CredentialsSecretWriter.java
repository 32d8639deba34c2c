package io.voyager.bdk.library;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.voyager.bdk.library.InstanceUpdatePlanner.SecretChange;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.CredentialRotations;
import io.voyager.bdk.model.InstanceNames;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies an update's credential changes to the instance's credentials Secret: a read, the change,
 * and a write conditioned on the resourceVersion read (or a create when the Secret is missing), again
 * from the read when another writer — the sweep ({@link PreviousValueSweeper}), the controller
 * labelling it, a concurrent update — got there first. A value kept for an overlap goes after the
 * new one in the same key, with its expiry in the Secret's own annotation ({@link
 * CredentialRotations}), so ext-authz verifies with either and the sweep finds it after any restart.
 * Logs names, never values.
 */
final class CredentialsSecretWriter {
  private static final Logger log = LoggerFactory.getLogger(CredentialsSecretWriter.class);
  static final int ATTEMPTS = 5;

  private final KubernetesClient client;

  CredentialsSecretWriter(KubernetesClient client) {
    this.client = client;
  }

  void apply(BookInstanceDefinition instance, List<SecretChange> changes) {
    if (changes.isEmpty()) {
      return;
    }
    String namespace = instance.getSpec().customer().namespace();
    String name = InstanceNames.credentialsSecret(instance.getMetadata().getName());
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      Secret current = client.secrets().inNamespace(namespace).withName(name).get();
      Secret next = changed(current, instance, changes);
      try {
        if (current == null) {
          client.secrets().inNamespace(namespace).resource(next).create();
        } else {
          client.secrets().inNamespace(namespace).resource(next).update();
        }
        log.info("event=credentials_written namespace={} secret={} changes=\"{}\"", namespace, name, changes);
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          throw e;
        }
        log.info("event=credentials_write_retry namespace={} secret={} attempt={}", namespace, name, attempt);
      }
    }
    throw ApiException.aborted("credentials", "credentials: the instance's credentials Secret kept changing while "
        + "the new values were written; send the update again");
  }

  /**
   * The Secret after {@code changes}: values, the previous-values annotation and its label. Keys not
   * changed keep their bytes exactly (a value written by another manager may not be text). Pure.
   */
  static Secret changed(Secret current, BookInstanceDefinition instance, List<SecretChange> changes) {
    Map<String, String> data = raw(current);
    Map<String, CredentialRotations.Previous> pending = pending(current);
    for (SecretChange c : changes) {
      if (c.removes()) {
        data.remove(c.name());
        pending.remove(c.name());
      } else if (c.previousValidUntil() != null) {
        String stored = data.containsKey(c.name()) ? decode(data.get(c.name())) : null;
        data.put(c.name(), encode(CredentialRotations.withPrevious(c.value(), stored, pending.get(c.name()))));
        pending.put(c.name(), CredentialRotations.previous(c.value(), c.previousValidUntil()));
      } else {
        data.put(c.name(), encode(c.value()));
        pending.remove(c.name());
      }
    }
    SecretBuilder b = current == null
        ? new SecretBuilder().withNewMetadata()
            .withName(InstanceNames.credentialsSecret(instance.getMetadata().getName()))
            .withNamespace(instance.getSpec().customer().namespace())
            .withLabels(ResourceMapper.credentialsSecretLabels(instance))
            .endMetadata().withType("Opaque")
        : new SecretBuilder(current);
    b.withData(data).withStringData(null);
    return withPending(b, pending).build();
  }

  /** Sets or clears the previous-values annotation and its label for {@code pending}. */
  static SecretBuilder withPending(SecretBuilder b, Map<String, CredentialRotations.Previous> pending) {
    if (pending.isEmpty()) {
      return b.editMetadata()
          .removeFromAnnotations(CredentialRotations.PREVIOUS_VALUES)
          .removeFromLabels(CredentialRotations.PENDING_LABEL)
          .endMetadata();
    }
    return b.editMetadata()
        .addToAnnotations(CredentialRotations.PREVIOUS_VALUES, CredentialRotations.format(pending))
        .addToLabels(CredentialRotations.PENDING_LABEL, CredentialRotations.PENDING)
        .endMetadata();
  }

  /** The Secret's entries; a hand-edited annotation that cannot be read counts as none (its values stay as they are). */
  static Map<String, CredentialRotations.Previous> pending(Secret s) {
    if (s == null || s.getMetadata().getAnnotations() == null) {
      return new TreeMap<>();
    }
    try {
      return CredentialRotations.parse(s.getMetadata().getAnnotations().get(CredentialRotations.PREVIOUS_VALUES));
    } catch (IllegalArgumentException e) {
      log.warn("event=previous_values_unreadable namespace={} secret={} reason=\"{}\"",
          s.getMetadata().getNamespace(), s.getMetadata().getName(), e.getMessage());
      return new TreeMap<>();
    }
  }

  /** The Secret's data as stored (base64 per key), stringData folded in. */
  static Map<String, String> raw(Secret s) {
    Map<String, String> out = new LinkedHashMap<>();
    if (s == null) {
      return out;
    }
    if (s.getData() != null) {
      out.putAll(s.getData());
    }
    if (s.getStringData() != null) {
      s.getStringData().forEach((k, v) -> out.put(k, encode(v)));
    }
    return out;
  }

  static String decode(String base64) {
    return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
  }

  static String encode(String value) {
    return Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
  }
}
