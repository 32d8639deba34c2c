package io.voyager.bdk.extauthz.secrets;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.voyager.bdk.extauthz.scheme.DenyReason;
import io.voyager.bdk.extauthz.scheme.WebhookDenied;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Secrets read from Kubernetes, cached per Secret and kept fresh by a watch on that one Secret.
 *
 * <p>Why a watch per Secret rather than an informer: webhook Secrets live in customer namespaces
 * under names the customer chose, so there is no label or namespace to scope an informer to
 * without caching every Secret of the cluster. Only Secrets that webhooks actually use are
 * watched; the cache is bounded ({@code maxSecrets}) and drops Secrets unused for
 * {@code idleAfter}, closing their watch. A rotated Secret is seen as soon as its watch event
 * arrives; a watch that the API server closes (e.g. 410 Gone) drops the entry, so the next request
 * reads the Secret again and watches anew from what it reads. Secret values are never logged.
 *
 * <p>A read that fails (the API server refuses or does not answer) is remembered for
 * {@code failureTtl} (default {@value #DEFAULT_FAILURE_TTL_SECONDS} s): requests naming that Secret
 * meanwhile are refused at once without another API call, so a flood of (forged) webhooks cannot
 * force more than one Secret read per Secret per {@code failureTtl}. A Secret that does not exist is
 * not a failure: it is cached and watched like any other, and its creation is seen at once.
 */
public final class KubernetesSecretSource implements SecretSource, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KubernetesSecretSource.class);

  private record SecretId(String namespace, String name) {}

  /**
   * A cached Secret's decoded data, each key's value already split into its signing secrets
   * ({@link SecretLines}; null: the Secret does not exist), and its watch. Decoded and split once
   * per read or watch event, not per webhook.
   */
  private final class WatchedSecret implements Watcher<Secret> {
    private final SecretId id;
    private volatile Map<String, List<String>> data;
    private volatile Watch watch;

    WatchedSecret(SecretId id) {
      this.id = id;
    }

    /**
     * Reads the Secret, then watches it from the resourceVersion read, so no change between the
     * two is missed. (A watch that names no resourceVersion is refused by some API servers — a
     * kube-apiserver 1.34 watch cache on an etcd without progress requests answers 500.) A Secret
     * that does not exist yet is watched from "0": the API server's current state, whose ADDED
     * event arrives when it is created. Needs only get and watch on the Secret, never list.
     */
    void open() {
      reads.increment();
      Secret current = client.secrets().inNamespace(id.namespace()).withName(id.name()).get();
      data = decode(current);
      String from = current == null ? "0" : current.getMetadata().getResourceVersion();
      watch = client.secrets().inNamespace(id.namespace()).withName(id.name())
          .watch(new ListOptionsBuilder().withResourceVersion(from).build(), this);
      LOG.info("event=secret_watch_opened secret={}/{} exists={}", id.namespace(), id.name(), current != null);
    }

    @Override
    public void eventReceived(Action action, Secret secret) {
      data = action == Action.DELETED ? null : decode(secret);
      LOG.info("event=secret_changed secret={}/{} action={}", id.namespace(), id.name(), action);
    }

    @Override
    public void onClose(WatcherException cause) {
      LOG.warn("event=secret_watch_closed secret={}/{} cause={}", id.namespace(), id.name(), cause.getMessage());
      cache.asMap().remove(id, this);
    }

    void close() {
      Watch w = watch;
      if (w != null) {
        w.close();
      }
    }
  }

  public static final long DEFAULT_FAILURE_TTL_SECONDS = 5;

  private final KubernetesClient client;
  private final LoadingCache<SecretId, WatchedSecret> cache;
  /** Secrets whose last read failed, with the error's class name, until {@code failureTtl} passes. */
  private final Cache<SecretId, String> failures;
  private final LongAdder reads = new LongAdder();

  public KubernetesSecretSource(KubernetesClient client, long maxSecrets, Duration idleAfter) {
    this(client, maxSecrets, idleAfter, Duration.ofSeconds(DEFAULT_FAILURE_TTL_SECONDS), Ticker.systemTicker());
  }

  public KubernetesSecretSource(KubernetesClient client, long maxSecrets, Duration idleAfter, Duration failureTtl, Ticker ticker) {
    this.client = client;
    this.failures = Caffeine.newBuilder().maximumSize(maxSecrets).expireAfterWrite(failureTtl).ticker(ticker).build();
    this.cache = Caffeine.newBuilder()
        .maximumSize(maxSecrets)
        .expireAfterAccess(idleAfter)
        .removalListener((SecretId id, WatchedSecret w, RemovalCause cause) -> {
          if (w != null) {
            w.close();
          }
        })
        .build(id -> {
          WatchedSecret w = new WatchedSecret(id);
          w.open();
          return w;
        });
  }

  @Override
  public List<String> secrets(SecretRef ref) {
    SecretId id = new SecretId(ref.namespace(), ref.name());
    String failed = failures.getIfPresent(id);
    if (failed != null) {
      throw new WebhookDenied(DenyReason.SECRET_UNAVAILABLE,
          "Secret " + ref.namespace() + "/" + ref.name() + " cannot be read (" + failed + "; read again shortly)");
    }
    WatchedSecret watched;
    try {
      watched = cache.get(id);
    } catch (RuntimeException e) {
      failures.put(id, e.getClass().getSimpleName());
      LOG.warn("event=secret_read_failed secret={}/{} error={}", ref.namespace(), ref.name(), e.getClass().getSimpleName());
      throw new WebhookDenied(DenyReason.SECRET_UNAVAILABLE, "Secret " + ref.namespace() + "/" + ref.name() + " cannot be read");
    }
    Map<String, List<String>> data = watched.data;
    if (data == null) {
      throw new WebhookDenied(DenyReason.SECRET_UNAVAILABLE, "Secret " + ref.namespace() + "/" + ref.name() + " does not exist");
    }
    if (!data.containsKey(ref.key())) {
      throw new WebhookDenied(DenyReason.SECRET_UNAVAILABLE, "Secret " + ref.namespace() + "/" + ref.name() + " has no key " + ref.key());
    }
    List<String> lines = data.get(ref.key());
    if (lines.isEmpty()) {
      throw new WebhookDenied(DenyReason.SECRET_UNAVAILABLE, "Secret " + ref.namespace() + "/" + ref.name() + " key " + ref.key() + " is empty");
    }
    return lines;
  }

  @Override
  public boolean ready(String namespace, String name) {
    SecretId id = new SecretId(namespace, name);
    return cache.getIfPresent(id) != null || failures.getIfPresent(id) != null;
  }

  /** Secret reads sent to the API server since start (each opens a watch). */
  public long reads() {
    return reads.sum();
  }

  /** Secrets currently cached and watched. */
  public long watchedSecrets() {
    cache.cleanUp();
    return cache.estimatedSize();
  }

  private static Map<String, List<String>> decode(Secret secret) {
    if (secret == null) {
      return null;
    }
    Map<String, List<String>> out = new HashMap<>();
    if (secret.getStringData() != null) {
      secret.getStringData().forEach((k, v) -> out.put(k, SecretLines.parse(v)));
    }
    if (secret.getData() != null) {
      secret.getData().forEach((k, v) -> {
        try {
          out.put(k, SecretLines.parse(new String(Base64.getDecoder().decode(v.strip()), StandardCharsets.UTF_8)));
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
