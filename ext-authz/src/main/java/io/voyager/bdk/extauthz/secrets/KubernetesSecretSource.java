package io.voyager.bdk.extauthz.secrets;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.voyager.bdk.extauthz.scheme.DenyReason;
import io.voyager.bdk.extauthz.scheme.WebhookDenied;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Secrets read from Kubernetes, cached per Secret and kept fresh by an informer on that one Secret.
 *
 * <p>Why an informer per Secret rather than one for all: webhook Secrets live in customer
 * namespaces under names the customer chose, so there is no label or namespace to scope an
 * informer to without caching every Secret of the cluster. Only Secrets that webhooks actually use
 * are informed on; the cache is bounded ({@code maxSecrets}) and drops Secrets unused for
 * {@code idleAfter}, stopping their informer. fabric8's informer lists the one Secret and watches
 * from the list's resourceVersion (no gap between read and watch, and no watch without a
 * resourceVersion, which some API servers refuse), and relists by itself after a 410 Gone; a
 * rotated Secret is seen as soon as its event arrives. An informer that has stopped for good
 * (e.g. access revoked) is dropped, so the next request starts anew. Secret values are never
 * logged.
 */
public final class KubernetesSecretSource implements SecretSource, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KubernetesSecretSource.class);

  private record SecretId(String namespace, String name) {}

  /** A Secret's data decoded once per resourceVersion. */
  private record Decoded(String resourceVersion, Map<String, String> data) {}

  /** One Secret's informer (its store holds the Secret, or nothing if it does not exist). */
  private final class InformedSecret implements ResourceEventHandler<Secret> {
    private final SecretId id;
    private final SharedIndexInformer<Secret> informer;
    private volatile Decoded decoded;

    InformedSecret(SecretId id) {
      this.id = id;
      // blocks until the initial list is in the store; throws if the Secret cannot be read
      this.informer = client.secrets().inNamespace(id.namespace()).withName(id.name()).inform(this, 0);
      LOG.info("event=secret_informer_started secret={}/{} exists={}", id.namespace(), id.name(), data() != null);
    }

    boolean running() {
      return informer.isRunning();
    }

    /** The Secret's decoded data, or null if it does not exist. */
    Map<String, String> data() {
      List<Secret> items = informer.getStore().list();
      if (items.isEmpty()) {
        return null;
      }
      Secret secret = items.get(0);
      String version = String.valueOf(secret.getMetadata().getResourceVersion());
      Decoded current = decoded;
      if (current == null || !current.resourceVersion().equals(version)) {
        current = new Decoded(version, decode(secret));
        decoded = current;
      }
      return current.data();
    }

    @Override
    public void onAdd(Secret secret) {
      LOG.info("event=secret_changed secret={}/{} action=ADDED", id.namespace(), id.name());
    }

    @Override
    public void onUpdate(Secret before, Secret after) {
      if (!Objects.equals(before.getMetadata().getResourceVersion(), after.getMetadata().getResourceVersion())) {
        LOG.info("event=secret_changed secret={}/{} action=MODIFIED", id.namespace(), id.name());
      }
    }

    @Override
    public void onDelete(Secret secret, boolean finalStateUnknown) {
      LOG.info("event=secret_changed secret={}/{} action=DELETED", id.namespace(), id.name());
    }

    void close() {
      informer.stop();
    }
  }

  private final KubernetesClient client;
  private final LoadingCache<SecretId, InformedSecret> cache;

  public KubernetesSecretSource(KubernetesClient client, long maxSecrets, Duration idleAfter) {
    this.client = client;
    this.cache = Caffeine.newBuilder()
        .maximumSize(maxSecrets)
        .expireAfterAccess(idleAfter)
        .removalListener((SecretId id, InformedSecret informed, RemovalCause cause) -> {
          if (informed != null) {
            informed.close();
          }
        })
        .build(InformedSecret::new);
  }

  @Override
  public List<String> secrets(SecretRef ref) {
    SecretId id = new SecretId(ref.namespace(), ref.name());
    InformedSecret informed;
    try {
      informed = cache.get(id);
      if (!informed.running()) {
        LOG.warn("event=secret_informer_stopped secret={}/{}", ref.namespace(), ref.name());
        cache.asMap().remove(id, informed);
        informed = cache.get(id);
      }
    } catch (RuntimeException e) {
      LOG.warn("event=secret_read_failed secret={}/{} error={}", ref.namespace(), ref.name(), e.getClass().getSimpleName());
      throw new WebhookDenied(DenyReason.SECRET_UNAVAILABLE, "Secret " + ref.namespace() + "/" + ref.name() + " cannot be read");
    }
    Map<String, String> data = informed.data();
    if (data == null) {
      throw new WebhookDenied(DenyReason.SECRET_UNAVAILABLE, "Secret " + ref.namespace() + "/" + ref.name() + " does not exist");
    }
    if (!data.containsKey(ref.key())) {
      throw new WebhookDenied(DenyReason.SECRET_UNAVAILABLE, "Secret " + ref.namespace() + "/" + ref.name() + " has no key " + ref.key());
    }
    List<String> lines = SecretLines.parse(data.get(ref.key()));
    if (lines.isEmpty()) {
      throw new WebhookDenied(DenyReason.SECRET_UNAVAILABLE, "Secret " + ref.namespace() + "/" + ref.name() + " key " + ref.key() + " is empty");
    }
    return lines;
  }

  /** Secrets currently cached and informed on. */
  public long watchedSecrets() {
    cache.cleanUp();
    return cache.estimatedSize();
  }

  private static Map<String, String> decode(Secret secret) {
    if (secret == null) {
      return null;
    }
    Map<String, String> out = new HashMap<>();
    if (secret.getStringData() != null) {
      out.putAll(secret.getStringData());
    }
    if (secret.getData() != null) {
      secret.getData().forEach((k, v) -> {
        try {
          out.put(k, new String(Base64.getDecoder().decode(v.strip()), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
          LOG.warn("event=secret_key_not_base64 secret={}/{} key={}", secret.getMetadata().getNamespace(), secret.getMetadata().getName(), k);
        }
      });
    }
    return out;
  }

  @Override
  public void close() {
    cache.invalidateAll();
    cache.cleanUp();
  }
}
