package io.voyager.bdk.support.auth;

import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.proc.SecurityContext;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A JWKS held in one key of a Kubernetes Secret or ConfigMap, watched (an informer on that one
 * object, by name) so a key rotation written there applies to the next call without a restart.
 *
 * <p>Fails closed: while the object is missing, lacks the key, or holds no parseable JWKS with an
 * RSA or EC public key, every lookup throws naming the object and the problem (the last good keys
 * are NOT kept: a JWKS an operator deleted or broke must stop verifying). Each change of state is
 * logged once.
 */
final class KubernetesJwksKeys implements VerificationKeys {
  private static final Logger log = LoggerFactory.getLogger(KubernetesJwksKeys.class);

  /** What the object currently gives: keys, or why none. */
  private record State(JWKSet keys, String problem) {}

  private final JwtSettings.KubernetesJwks source;
  private final SharedIndexInformer<? extends HasMetadata> informer;
  private final AtomicReference<State> state;

  KubernetesJwksKeys(KubernetesClient client, JwtSettings.KubernetesJwks source) {
    this.source = source;
    this.state = new AtomicReference<>(new State(null, describe() + " has not been read yet"));
    if (source.kind() == JwtSettings.KubernetesJwks.Kind.SECRET) {
      SharedIndexInformer<Secret> i =
          client.secrets().inNamespace(source.namespace()).withName(source.name()).runnableInformer(0);
      i.addEventHandler(new Handler<>(this::secretData));
      this.informer = i;
    } else {
      SharedIndexInformer<ConfigMap> i =
          client.configMaps().inNamespace(source.namespace()).withName(source.name()).runnableInformer(0);
      i.addEventHandler(new Handler<>(ConfigMap::getData));
      this.informer = i;
    }
  }

  /** Starts watching and waits (at most {@code timeout}) for the first list. */
  KubernetesJwksKeys start(Duration timeout) {
    try {
      informer.start().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      informer.close();
      throw new IllegalStateException("cannot watch " + describe() + ": " + e, e);
    }
    if (informer.getStore().list().isEmpty()) {
      update(null);
    }
    return this;
  }

  @Override
  public List<JWK> get(JWKSelector selector, SecurityContext context) throws KeySourceException {
    State current = state.get();
    if (current.keys() == null) {
      throw new KeySourceException(current.problem());
    }
    return selector.select(current.keys());
  }

  @Override
  public String describe() {
    return (source.kind() == JwtSettings.KubernetesJwks.Kind.SECRET ? "Secret " : "ConfigMap ")
        + source.namespace() + "/" + source.name() + " key " + source.key();
  }

  @Override
  public void close() {
    informer.close();
  }

  private Map<String, String> secretData(Secret secret) {
    Map<String, String> data = secret.getData();
    if (data == null) {
      return secret.getStringData();
    }
    return data.entrySet().stream().collect(Collectors.toMap(
        Map.Entry::getKey,
        e -> e.getValue() == null ? "" : new String(Base64.getMimeDecoder().decode(e.getValue()), StandardCharsets.UTF_8)));
  }

  /** Reads the JWKS out of {@code data} (null: the object is gone) and swaps the state. */
  private void update(Map<String, String> data) {
    State next;
    if (data == null) {
      next = new State(null, describe() + " does not exist");
    } else if (data.get(source.key()) == null || data.get(source.key()).isBlank()) {
      next = new State(null, describe() + " is missing or empty");
    } else {
      try {
        next = new State(VerificationKeys.parsePublic(data.get(source.key())), null);
      } catch (ParseException | RuntimeException e) {
        next = new State(null, describe() + " is not a usable JWKS: " + e.getMessage());
      }
    }
    State previous = state.getAndSet(next);
    if (next.keys() != null) {
      if (previous.keys() == null || !Objects.equals(previous.keys().toString(), next.keys().toString())) {
        log.info("event=jwks_loaded source=\"{}\" keys={} kids={}", describe(), next.keys().getKeys().size(),
            next.keys().getKeys().stream().map(k -> String.valueOf(k.getKeyID())).toList());
      }
    } else if (!Objects.equals(previous.problem(), next.problem())) {
      log.warn("event=jwks_unusable source=\"{}\" reason=\"{}\" effect=every_token_refused", describe(), next.problem());
    }
  }

  private final class Handler<T extends HasMetadata> implements ResourceEventHandler<T> {
    private final Function<T, Map<String, String>> data;

    Handler(Function<T, Map<String, String>> data) {
      this.data = data;
    }

    @Override
    public void onAdd(T obj) {
      update(orEmpty(data.apply(obj)));
    }

    @Override
    public void onUpdate(T oldObj, T newObj) {
      update(orEmpty(data.apply(newObj)));
    }

    @Override
    public void onDelete(T obj, boolean deletedFinalStateUnknown) {
      update(null);
    }

    private Map<String, String> orEmpty(Map<String, String> m) {
      return m == null ? Map.of() : m;
    }
  }
}
